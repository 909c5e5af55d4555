"""The same windows in DuckDB SQL: the independent reference for tests and the bench.

Nothing here shares code with the pipeline: DuckDB deduplicates with DISTINCT,
buckets trade_time into minutes, orders open and close with ordered aggregates,
and sums DECIMAL(38, 8) prices and quantities exactly. Exact columns must equal
the pipeline's to the last digit. The pipeline rounds avg_price, vwap and
price_stddev half-even to 12 places from exact sums; DuckDB computes them in
double precision, so those agree within DERIVED_TOLERANCE relative to the price.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa

# |pipeline - DuckDB| allowed for the derived columns, times max(1, |avg_price|).
DERIVED_TOLERANCE = Decimal("1e-9")
EXACT_COLUMNS = (
    "open_price",
    "high_price",
    "low_price",
    "close_price",
    "trade_count",
    "base_volume",
    "quote_volume",
    "taker_buy_base_volume",
    "taker_buy_quote_volume",
    "price_sum",
    "price_sq_sum",
    "first_trade_id",
    "last_trade_id",
)
DERIVED_COLUMNS = ("avg_price", "vwap", "price_stddev")

WINDOWS_SQL = """
WITH trades AS ({trades}),
distinct_trades AS (SELECT DISTINCT * FROM trades),
windowed AS (
    SELECT *, price * quantity AS notional, trade_time - trade_time % 60000 AS start_ms
    FROM distinct_trades
)
SELECT
    symbol,
    start_ms AS window_start,
    first(price ORDER BY trade_time, trade_id) AS open_price,
    max(price) AS high_price,
    min(price) AS low_price,
    last(price ORDER BY trade_time, trade_id) AS close_price,
    count(*) AS trade_count,
    sum(quantity) AS base_volume,
    sum(notional) AS quote_volume,
    coalesce(sum(quantity) FILTER (WHERE NOT is_buyer_maker), 0) AS taker_buy_base_volume,
    coalesce(sum(notional) FILTER (WHERE NOT is_buyer_maker), 0) AS taker_buy_quote_volume,
    sum(price) AS price_sum,
    sum(price * price) AS price_sq_sum,
    first(trade_id ORDER BY trade_time, trade_id) AS first_trade_id,
    last(trade_id ORDER BY trade_time, trade_id) AS last_trade_id,
    avg(price) AS avg_price,
    sum(notional)::DOUBLE / sum(quantity)::DOUBLE AS vwap,
    stddev_pop(price) AS price_stddev
FROM windowed
GROUP BY symbol, start_ms
ORDER BY symbol, start_ms
"""

ARCHIVE_TRADES = """
SELECT
    regexp_extract(filename, '([A-Z0-9]+)-trades-[0-9-]+\\.csv$', 1) AS symbol,
    id::BIGINT AS trade_id,
    CASE WHEN time::BIGINT >= 100000000000000 THEN time::BIGINT // 1000 ELSE time::BIGINT END
        AS trade_time,
    price::DECIMAL(38, 8) AS price,
    qty::DECIMAL(38, 8) AS quantity,
    lower(is_buyer_maker) = 'true' AS is_buyer_maker
FROM read_csv(
    $paths, header = false, filename = true, all_varchar = true,
    names = ['id', 'price', 'qty', 'quote_qty', 'time', 'is_buyer_maker', 'is_best_match']
)
WHERE id <> 'id'
"""
RECORD_TRADES = """
SELECT symbol, trade_id, trade_time, price::DECIMAL(38, 8) AS price,
    quantity::DECIMAL(38, 8) AS quantity, is_buyer_maker
FROM records
"""

Window = dict[str, Any]


def _windows(
    connection: duckdb.DuckDBPyConnection, trades: str, parameters: dict[str, Any] | None = None
) -> dict[tuple[str, int], Window]:
    cursor = connection.execute(WINDOWS_SQL.format(trades=trades), parameters)
    names = [column[0] for column in cursor.description]
    return {(row[0], row[1]): dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def windows_from_records(records: Iterable[Mapping[str, Any]]) -> dict[tuple[str, int], Window]:
    """Trade records (coinpulse.trade's to_record) -> windows by (symbol, window start ms)."""
    columns = ("symbol", "trade_id", "trade_time", "price", "quantity", "is_buyer_maker")
    table = pa.Table.from_pylist([{name: r[name] for name in columns} for r in records])
    connection = duckdb.connect()
    connection.register("records", table)
    return _windows(connection, RECORD_TRADES)


def windows_from_archives(paths: Sequence[str]) -> dict[tuple[str, int], Window]:
    """Binance archive CSVs (header or not, ms or µs) -> windows by (symbol, window start ms)."""
    paths = [os.fspath(path) for path in paths]
    return _windows(duckdb.connect(), ARCHIVE_TRADES, {"paths": paths})


def mismatches(row: Mapping[str, Any], expected: Window) -> list[str]:
    """How a pipeline row (stream_prices JSON) differs from a reference window; empty if equal."""
    found: list[str] = []
    for column in EXACT_COLUMNS:
        if Decimal(str(row[column])) != Decimal(str(expected[column])):
            found.append(f"{column}: {row[column]} != {expected[column]}")
    scale = max(Decimal(1), abs(Decimal(row["avg_price"])))
    for column in DERIVED_COLUMNS:
        difference = abs(Decimal(row[column]) - Decimal(repr(expected[column])))
        if difference > DERIVED_TOLERANCE * scale:
            found.append(f"{column}: {row[column]} vs {expected[column]} (off by {difference})")
    return found
