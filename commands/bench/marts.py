"""Synthetic marts with the mart contract's columns, generated in DuckDB SQL.

The dashboard benchmark needs a year of minute windows for five pairs (about 2.6
million rows of crypto_mart.mart_crypto_prices, 3.4 million of mart_ohlc across the
five timeframes); building them through the pipeline would take hours, so this
writes the mart tables directly: a deterministic price path per pair (a slow
wave, a faster one and a hashed jitter), minute candles from it, every longer
timeframe rolled up from the minutes as the marts roll them up (open of the first
minute, close of the last, extremes, sums), hourly volatility and pipeline health
(a few missing ids and late trades), and a day's market context per pair. Rows
go in in time order, as incremental dbt runs append them. Deterministic: the same
arguments give the same rows.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from coinpulse import schemas, symbols
from commands import duckdb_warehouse

MART = "crypto_mart"
PRICE = "DECIMAL(38, 9)"
COLUMNS = {
    "mart_ohlc": (
        "symbol VARCHAR NOT NULL, coin_id VARCHAR, timeframe VARCHAR NOT NULL, "
        f"bucket_start TIMESTAMPTZ NOT NULL, bucket_end TIMESTAMPTZ NOT NULL, open_price {PRICE}, "
        f"high_price {PRICE}, low_price {PRICE}, close_price {PRICE}, trade_count BIGINT, "
        f"base_volume {PRICE}, quote_volume DECIMAL(38, 16), taker_buy_base_volume {PRICE}, "
        "vwap DOUBLE, avg_price DOUBLE, price_stddev DOUBLE, first_trade_id BIGINT, "
        "last_trade_id BIGINT"
    ),
    "mart_crypto_prices": (
        "symbol VARCHAR NOT NULL, window_start TIMESTAMPTZ NOT NULL, "
        f"open_price {PRICE}, high_price {PRICE}, low_price {PRICE}, close_price {PRICE}, "
        "avg_price DOUBLE, price_stddev DOUBLE, vwap DOUBLE, trade_count BIGINT, "
        f"base_volume {PRICE}, quote_volume DECIMAL(38, 16), price_usd {PRICE}, "
        "coin_id VARCHAR, ticker VARCHAR, snapshot_date DATE, name VARCHAR, market_cap DOUBLE, "
        "market_cap_rank BIGINT, market_cap_category VARCHAR, total_volume DOUBLE, "
        "fully_diluted_valuation DOUBLE, price_change_percentage_24h DOUBLE"
    ),
    "mart_volatility": (
        "symbol VARCHAR NOT NULL, window_hour TIMESTAMPTZ NOT NULL, hourly_avg_price DOUBLE, "
        "hourly_low DOUBLE, hourly_high DOUBLE, hourly_range_pct DOUBLE, "
        "avg_price_stddev DOUBLE, window_count BIGINT, avg_candle_range DOUBLE, "
        "avg_candle_change_pct DOUBLE, bullish_candles BIGINT, bearish_candles BIGINT, "
        "total_candles BIGINT, composite_volatility_score DOUBLE, realized_volatility_pct DOUBLE"
    ),
    "mart_pipeline_health": (
        "symbol VARCHAR NOT NULL, window_hour TIMESTAMPTZ NOT NULL, windows_present BIGINT, "
        "trades BIGINT, missing_trade_ids BIGINT, trade_ids_counted_twice BIGINT, "
        "late_trades BIGINT, dead_letters BIGINT, max_emit_lag_seconds DOUBLE, "
        "max_load_lag_seconds DOUBLE"
    ),
}
# Rollups of the minutes: the contract's timeframes and their lengths in minutes.
ROLLUPS = {"5m": 5, "15m": 15, "1h": 60, "1d": 1440}
# Rough late-2026 levels, so the log-scale chart spans the real range (BTC to ADA).
BASE_PRICES = {
    "BTCUSDT": 76_000.0,
    "ETHUSDT": 2_900.0,
    "SOLUSDT": 180.0,
    "BNBUSDT": 640.0,
    "ADAUSDT": 0.25,
    "XRPUSDT": 0.6,
    "DOGEUSDT": 0.12,
}


def create(connection: duckdb.DuckDBPyConnection) -> None:
    """The mart schema and its three tables, where missing."""
    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {MART}")
    for table, columns in COLUMNS.items():
        connection.execute(f"CREATE TABLE IF NOT EXISTS {MART}.{table} ({columns})")


def create_raw(connection: duckdb.DuckDBPyConnection) -> None:
    """The raw tables the health view reads (the loader's and verify's), where missing."""
    duckdb_warehouse.create_tables(connection)
    columns = schemas.duckdb_columns("completeness_checks")
    connection.execute(f"CREATE TABLE IF NOT EXISTS crypto_raw.completeness_checks ({columns})")


def _pairs_sql(pairs: tuple[str, ...]) -> str:
    rows = []
    for index, pair in enumerate(pairs):
        coin = symbols.by_pair(pair)
        base = BASE_PRICES.get(pair, 10.0)
        rows.append(f"('{pair}', '{coin.coin_id}', '{coin.ticker}', {base}, {index}, {index + 1})")
    return f"(VALUES {', '.join(rows)}) AS p(symbol, coin_id, ticker, base, k, rank)"


def generate(
    connection: duckdb.DuckDBPyConnection, pairs: tuple[str, ...], start: datetime, minutes: int
) -> None:
    """``minutes`` minute windows per pair from ``start`` (UTC, on a minute) into every mart."""
    create(connection)
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute(
        f"""
CREATE OR REPLACE TEMP TABLE minutes AS
WITH path AS (
  SELECT p.symbol, p.coin_id, p.ticker, p.k, p.rank, m.i,
         $start::TIMESTAMPTZ + m.i * INTERVAL 1 MINUTE AS window_start,
         p.base * exp(0.08 * sin(m.i / 4000.0 + p.k) + 0.01 * sin(m.i / 53.0 + 2 * p.k)) AS p0,
         p.base * exp(0.08 * sin((m.i + 1) / 4000.0 + p.k)
                      + 0.01 * sin((m.i + 1) / 53.0 + 2 * p.k)) AS p1,
         (hash(p.symbol, m.i) % 1000) / 1000.0 AS jitter
  FROM {_pairs_sql(pairs)} CROSS JOIN range($minutes) AS m(i)
)
SELECT symbol, coin_id, ticker, rank, window_start, i, jitter,
       round(p0, 9)::{PRICE} AS open_price, round(p1, 9)::{PRICE} AS close_price,
       round(greatest(p0, p1) * (1 + 0.0004 * jitter), 9)::{PRICE} AS high_price,
       round(least(p0, p1) * (1 - 0.0004 * jitter), 9)::{PRICE} AS low_price,
       (p0 + p1) / 2 AS avg_price, abs(p1 - p0) / 4 AS price_stddev,
       (20 + (hash(symbol, i) % 200))::BIGINT AS trade_count,
       round((1 + 9 * jitter) * 1000 / sqrt(p0), 9)::{PRICE} AS base_volume,
       1000000 * (k + 1) + i * 300 AS first_trade_id
FROM path""",
        {"start": start, "minutes": minutes},
    )
    connection.execute(
        f"""
INSERT INTO {MART}.mart_crypto_prices
SELECT symbol, window_start, open_price, high_price, low_price, close_price, avg_price,
       price_stddev, avg_price, trade_count, base_volume,
       (base_volume * avg_price)::DECIMAL(38, 16), close_price, coin_id, ticker,
       window_start::DATE, ticker, 1.5e12 / rank / rank, rank,
       CASE WHEN rank <= 2 THEN 'large_cap' ELSE 'mid_cap' END, 3e10 / rank, 1.6e12 / rank / rank,
       round(sin(epoch(window_start) / 86400.0 + rank) * 3, 3)
FROM minutes ORDER BY window_start, symbol"""
    )
    _ohlc(connection, "1m", "window_start", 1)
    for frame, length in ROLLUPS.items():
        bucket = f"time_bucket(INTERVAL {length} MINUTE, window_start, $start::TIMESTAMPTZ)"
        _ohlc(connection, frame, bucket, length, {"start": start})
    connection.execute(
        f"""
INSERT INTO {MART}.mart_volatility
SELECT symbol, date_trunc('hour', window_start) AS hour, avg(avg_price), min(low_price),
       max(high_price), (max(high_price) - min(low_price)) / min(low_price) * 100,
       avg(price_stddev), count(*), avg(high_price - low_price),
       avg((close_price - open_price) / open_price * 100),
       count(*) FILTER (WHERE close_price >= open_price),
       count(*) FILTER (WHERE close_price < open_price), count(*),
       round((max(high_price) - min(low_price)) / min(low_price) * 100
             + abs(avg((close_price - open_price) / open_price * 100)), 4),
       sqrt(sum(ln(close_price / open_price) ^ 2)) * 100
FROM minutes GROUP BY symbol, hour ORDER BY hour, symbol"""
    )
    connection.execute(
        f"""
INSERT INTO {MART}.mart_pipeline_health
SELECT symbol, date_trunc('hour', window_start) AS hour, count(*), sum(trade_count),
       count(*) FILTER (WHERE hash(symbol, i) % 997 = 0), 0,
       count(*) FILTER (WHERE hash(symbol, i) % 251 = 0), 0, 2.5 + max(jitter), 60 + max(jitter)
FROM minutes GROUP BY symbol, hour ORDER BY hour, symbol"""
    )


def _ohlc(
    connection: duckdb.DuckDBPyConnection,
    frame: str,
    bucket: str,
    length: int,
    params: dict[str, object] | None = None,
) -> None:
    connection.execute(
        f"""
INSERT INTO {MART}.mart_ohlc
SELECT symbol, any_value(coin_id), '{frame}', b, b + INTERVAL {length} MINUTE,
       arg_min(open_price, window_start), max(high_price), min(low_price),
       arg_max(close_price, window_start), sum(trade_count), sum(base_volume),
       sum(base_volume * avg_price)::DECIMAL(38, 16), sum(base_volume) / 2,
       sum(base_volume * avg_price) / sum(base_volume), avg(avg_price), avg(price_stddev),
       min(first_trade_id), max(first_trade_id + trade_count - 1)
FROM (SELECT *, {bucket} AS b FROM minutes) GROUP BY symbol, b ORDER BY b, symbol""",
        params or {},
    )
