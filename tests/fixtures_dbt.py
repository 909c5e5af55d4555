# mypy: disable-error-code="no-untyped-call"
# (Apache Beam's API carries no type annotations.)
"""dbt fixtures: generated trades, their windows and CoinGecko rows in a DuckDB warehouse.

``GeneratedMarket`` makes trades for the default pairs (prices as exchange decimal
strings, consecutive trade ids with a few deliberately skipped), turns them into
stream_prices rows with the pipeline's own window code (beam_pipeline.combine,
early panes holding fewer trades than the on-time pane), and builds CoinGecko
market snapshots and candles with the CoinGecko lane's row builders. Tests load
them into a fresh warehouse and keep the trades, which are the ground truth the
marts are checked against.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from apache_beam.utils.windowed_value import PaneInfo, PaneInfoTiming

from beam_pipeline import combine, rows
from beam_pipeline.trades import TradeTuple
from coinpulse import lake, schemas, symbols
from commands import transform, warehouse_db
from commands.duckdb_warehouse import create_tables
from functions.coingecko import rows as coingecko_rows
from functions.coingecko import writer
from standins.coingecko import data

START = datetime(2026, 5, 18, 22, 30, tzinfo=UTC)
PRICES = {
    "BTCUSDT": "65000",
    "ETHUSDT": "3100",
    "SOLUSDT": "150",
    "BNBUSDT": "600",
    "ADAUSDT": "0.45",
}
Trade = tuple[str, int, int, Decimal, Decimal, bool]  # symbol, id, time ms, price, qty, buyer maker


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass
class GeneratedMarket:
    """Trades and raw rows for the default pairs from ``start`` on, deterministic by seed."""

    seed: int = 7
    trades: list[Trade] = field(default_factory=list)
    next_id: dict[str, int] = field(default_factory=dict)
    price: dict[str, Decimal] = field(default_factory=dict)
    skipped: dict[str, tuple[int, datetime]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)
        for index, pair in enumerate(symbols.DEFAULT_PAIRS):
            self.next_id[pair] = 1_000_000 * (index + 1)
            self.price[pair] = Decimal(PRICES[pair])

    def minute_trades(
        self, pair: str, minute: datetime, count: int, after_ms: int = 0
    ) -> list[Trade]:
        """``count`` new trades of one minute, from ``after_ms`` into it on."""
        made: list[Trade] = []
        step = self.price[pair] / 2000
        # Binance numbers trades in the order they happen: ids follow trade times.
        moments = sorted(_ms(minute) + self.random.randint(after_ms, 59_999) for _ in range(count))
        for moment in moments:
            self.price[pair] = max(step, self.price[pair] + step * self.random.randint(-3, 3))
            price = self.price[pair].quantize(Decimal("0.00000001"))
            quantity = Decimal(self.random.randint(1, 500_000)) / Decimal(100_000)
            made.append(
                (pair, self.next_id[pair], moment, price, quantity, self.random.random() < 0.5)
            )
            self.next_id[pair] += 1
        return made

    def skipped_trade(self, pair: str) -> Trade:
        """The first trade id ``generate`` skipped for a pair, as a repair finds it:
        the first trade of the minute after the gap."""
        trade_id, minute = self.skipped[pair]
        price = self.price[pair].quantize(Decimal("0.00000001"))
        return (pair, trade_id, _ms(minute), price, Decimal("0.5"), False)

    def generate(self, start: datetime, minutes: int, skip_ids: int = 0) -> list[Trade]:
        """Trades for every pair and minute; some minutes are left empty and, when
        ``skip_ids``, that many ids are skipped after the tenth minute of each pair."""
        made: list[Trade] = []
        for pair in symbols.DEFAULT_PAIRS:
            for offset in range(minutes):
                if offset % 37 == 36:
                    continue  # a quiet minute: no window at all
                if skip_ids and offset == 10:
                    minute = start + timedelta(minutes=offset)
                    self.skipped[pair] = (self.next_id[pair], minute)
                    self.next_id[pair] += skip_ids
                count = self.random.randint(1, 12)
                made += self.minute_trades(pair, start + timedelta(minutes=offset), count)
        self.trades += made
        return made


def window_rows(
    trades: Iterable[Trade], early_panes: bool = True, emitted_late: int = 0
) -> list[dict[str, Any]]:
    """stream_prices rows of trades, by the pipeline's own window code: for each
    window an early pane of its first half (when it has two trades or more) and the
    on-time pane of all of them, emitted ``emitted_late`` seconds after the window."""
    by_window: dict[tuple[str, int], list[TradeTuple]] = {}
    for pair, trade_id, moment, price, quantity, maker in trades:
        key = (pair, moment - moment % 60_000)
        by_window.setdefault(key, []).append((trade_id, moment, str(price), str(quantity), maker))
    made: list[dict[str, Any]] = []
    for (pair, start), tuples in sorted(by_window.items()):
        tuples.sort(key=lambda t: (t[1], t[0]))
        panes = [tuples]
        if early_panes and len(tuples) > 1:
            panes.insert(0, tuples[: len(tuples) // 2])
        for index, pane_trades in enumerate(panes):
            accumulator = combine.WindowTrades()
            accumulator.add(pane_trades)
            timing = PaneInfoTiming.ON_TIME if index == len(panes) - 1 else PaneInfoTiming.EARLY
            pane = PaneInfo(index == 0, False, timing, index, 0)
            emitted = start + 60_000 + 1000 * emitted_late + index * 500
            made.append(
                rows.window_row(pair, start, combine.window_stats(accumulator), pane, emitted)
            )
    return made


def market_table(day: date, fetched: datetime, scale: float = 1.0) -> pa.Table:
    """CoinGecko markets rows of the default coins for ``day`` (market caps times ``scale``)."""
    coin_ids = tuple(symbols.coin_ids(symbols.DEFAULT_PAIRS))
    payload = [data.market(coin_id, fetched) for coin_id in coin_ids]
    for market in payload:
        market["market_cap"] = market["market_cap"] * scale
    built, _ = coingecko_rows.market_rows(payload, coin_ids, day, fetched)
    return writer.to_arrow(built, lake.COINGECKO_MARKETS)


def candle_table(day: date, fetched: datetime) -> pa.Table:
    """CoinGecko 30-minute candles of the default coins for the day before ``fetched``."""
    built = [
        row
        for coin_id in symbols.coin_ids(symbols.DEFAULT_PAIRS)
        for row in coingecko_rows.ohlc_rows(
            data.candles(coin_id, 1, fetched), coin_id, 1, day, fetched
        )
    ]
    return writer.to_arrow(built, lake.COINGECKO_OHLC)


def emulator_env(project: str, raw_dataset: str, home: Path) -> dict[str, str]:
    """The environment of ``coinpulse transform --target emulator`` over a test's raw
    dataset: its models land in datasets prefixed with the raw one's name, and the
    pairs are the default ones."""
    env = {
        **os.environ,
        "BIGQUERY_PROJECT": project,
        "COINPULSE_RAW_DATASET": raw_dataset,
        "COINPULSE_DATASET_PREFIX": f"{raw_dataset}_",
        "COINPULSE_HOME": str(home),
    }
    env.pop("COINPULSE_PAIRS", None)
    return env


TIMEFRAMES = {"1m": 60, "5m": 300, "15m": 900, "1h": 3600, "1d": 86400}
EXACT = (
    "open_price",
    "high_price",
    "low_price",
    "close_price",
    "trade_count",
    "base_volume",
    "quote_volume",
    "taker_buy_base_volume",
    "first_trade_id",
    "last_trade_id",
)
DERIVED = ("vwap", "avg_price", "price_stddev")
# Derived figures are doubles rounded to 12 places: relative agreement to 1e-12
# of the price (reference/windows_sql.py allows 1e-9 for the windows themselves).
RELATIVE_TOLERANCE = 1e-11

TRUTH_SQL = """
select
    symbol,
    '{timeframe}' as timeframe,
    to_timestamp((trade_time // {ms}) * {seconds}) as bucket_start,
    arg_min(price, (trade_time, trade_id)) as open_price,
    max(price) as high_price,
    min(price) as low_price,
    arg_max(price, (trade_time, trade_id)) as close_price,
    count(*) as trade_count,
    sum(quantity) as base_volume,
    sum(price * quantity) as quote_volume,
    coalesce(sum(quantity) filter (where not maker), 0) as taker_buy_base_volume,
    arg_min(trade_id, (trade_time, trade_id)) as first_trade_id,
    arg_max(trade_id, (trade_time, trade_id)) as last_trade_id,
    sum(price * quantity)::double / sum(quantity)::double as vwap,
    avg(price::double) as avg_price,
    stddev_pop(price::double) as price_stddev
from trades
group by symbol, trade_time // {ms}
"""


def truth(trades: list[Trade]) -> dict[tuple[str, str, Any], dict[str, Any]]:
    table = pa.Table.from_pylist(
        [
            {
                "symbol": s,
                "trade_id": i,
                "trade_time": t,
                "price": p,
                "quantity": q,
                "maker": m,
            }
            for s, i, t, p, q, m in trades
        ],
        schema=pa.schema(
            [
                ("symbol", pa.string()),
                ("trade_id", pa.int64()),
                ("trade_time", pa.int64()),
                ("price", pa.decimal128(38, 9)),
                ("quantity", pa.decimal128(38, 9)),
                ("maker", pa.bool_()),
            ]
        ),
    )
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    connection.register("trades", table)
    found: dict[tuple[str, str, Any], dict[str, Any]] = {}
    for timeframe, seconds in TIMEFRAMES.items():
        sql = TRUTH_SQL.format(timeframe=timeframe, seconds=seconds, ms=seconds * 1000)
        cursor = connection.execute(sql)
        names = [column[0] for column in cursor.description]
        for row in cursor.fetchall():
            record = dict(zip(names, row, strict=True))
            found[(record["symbol"], timeframe, record["bucket_start"])] = record
    return found


def _typed(table: str, row: dict[str, Any]) -> dict[str, Any]:
    typed: dict[str, Any] = {}
    for spec in schemas.fields(table):
        value = row.get(spec["name"])
        if value is not None and spec["type"] in ("NUMERIC", "BIGNUMERIC"):
            value = Decimal(str(value))
        elif value is not None and spec["type"] == "TIMESTAMP":
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        typed[spec["name"]] = value
    return typed


def arrow_rows(table: str, made: Iterable[dict[str, Any]]) -> pa.Table:
    """JSON rows of a raw table -> an Arrow table of its exact schema."""
    return pa.Table.from_pylist(
        [_typed(table, row) for row in made], schema=schemas.arrow_schema(table)
    )


@dataclass
class Warehouse:
    """A fresh local warehouse for one test, and dbt runs against it."""

    path: Path
    home: Path

    def insert(self, table: str, rows_: pa.Table) -> None:
        with warehouse_db.transaction(self.path) as connection:
            create_tables(connection)
            connection.register("incoming", rows_)
            connection.execute(
                f"INSERT INTO {warehouse_db.RAW}.{table} BY NAME SELECT * FROM incoming"
            )

    def insert_windows(self, made: list[dict[str, Any]]) -> None:
        self.insert("stream_prices", arrow_rows("stream_prices", made))

    def ledger(self, loaded_at: datetime) -> None:
        """A ledger row as a stream_prices load at ``loaded_at`` writes it."""
        with warehouse_db.transaction(self.path) as connection:
            connection.execute(
                "INSERT INTO crypto_raw._load_ledger"
                " VALUES (?, 'lake', ?, 1, 'stream_prices', 1, ?)",
                [
                    f"job-{loaded_at.timestamp()}",
                    f"stream_prices/{loaded_at.isoformat()}",
                    loaded_at,
                ],
            )

    def environment(self) -> dict[str, str]:
        """This process's environment, pointed at this warehouse alone."""
        env = {**os.environ, "COINPULSE_HOME": str(self.home)}
        for name in ("COINPULSE_PAIRS", "COINPULSE_RAW_DATASET", "COINPULSE_WAREHOUSE"):
            env.pop(name, None)
        return env

    def dbt(self, *args: str, since: str | None = None) -> int:
        return transform.run("local", args, since=since, quiet=False, base_env=self.environment())

    def failed_tests(self) -> list[str]:
        """The names of the data tests that failed in the last dbt run."""
        target = Path(transform.environment("local", self.environment())["DBT_TARGET_PATH"])
        results = json.loads((target / "run_results.json").read_text())
        return [r["unique_id"].split(".")[2] for r in results["results"] if r["status"] == "fail"]

    def execute(self, sql: str) -> None:
        with warehouse_db.transaction(self.path) as connection:
            connection.execute(sql)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with warehouse_db.read(self.path) as connection:
            return connection.execute(sql).fetchall()

    def dicts(self, sql: str) -> list[dict[str, Any]]:
        with warehouse_db.read(self.path) as connection:
            cursor = connection.execute(sql)
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def new_warehouse(home: Path) -> Warehouse:
    """An empty warehouse with its raw tables under ``home`` (its COINPULSE_HOME)."""
    path = home / warehouse_db.FILE_NAME
    with warehouse_db.transaction(path) as connection:
        create_tables(connection)
    return Warehouse(path, home)


@pytest.fixture
def dbt_warehouse(tmp_path: Path) -> Warehouse:
    """An empty warehouse for one test."""
    return new_warehouse(tmp_path)
