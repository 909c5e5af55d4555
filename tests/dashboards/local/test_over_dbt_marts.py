"""The dashboard's queries over marts that dbt built from generated trades.

The trades are the ground truth (fixtures_dbt.py): the pipeline's own window code
turns them into raw windows, ``coinpulse transform`` builds the marts, and what each
panel reads is compared with figures computed here from the trades alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fixtures_dbt import START, GeneratedMarket, Trade, market_table, new_warehouse, window_rows

from coinpulse import symbols
from commands import dashboard_readers
from dashboards.local import queries
from dashboards.local.answers import Reader
from dashboards.local.queries import DUCKDB

pytestmark = pytest.mark.integration

MINUTES = 130
SKIPPED_IDS = 2  # per pair, after its tenth minute


@dataclass
class Built:
    read: Reader
    trades: list[Trade]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    warehouse = new_warehouse(tmp_path_factory.mktemp("warehouse"))
    trades = GeneratedMarket(11).generate(START, MINUTES, skip_ids=SKIPPED_IDS)
    warehouse.insert_windows(window_rows(trades))
    warehouse.insert("coingecko_markets", market_table(START.date(), START - timedelta(hours=6)))
    warehouse.ledger(START + timedelta(hours=3))
    assert warehouse.dbt("build") == 0
    return Built(dashboard_readers.duckdb_reader(Path(warehouse.path)), trades)


def minute_closes(trades: list[Trade], pair: str) -> dict[int, float]:
    """Epoch second of each minute with trades -> its last trade's price."""
    closes: dict[int, tuple[int, int, float]] = {}
    for symbol, trade_id, moment, price, _, _ in trades:
        if symbol == pair:
            minute = moment // 60_000 * 60
            best = closes.get(minute)
            if best is None or (moment, trade_id) > best[:2]:
                closes[minute] = (moment, trade_id, float(price))
    return {minute: close for minute, (_, _, close) in sorted(closes.items())}


def hour_candles(trades: list[Trade], pair: str) -> list[tuple[int, float, float]]:
    """(hour start, open, close) of each hour with trades, by (trade time, trade id)."""
    hours: dict[int, list[tuple[int, int, float]]] = {}
    for symbol, trade_id, moment, price, _, _ in trades:
        if symbol == pair:
            hours.setdefault(moment // 3_600_000 * 3600, []).append(
                (moment, trade_id, float(price))
            )
    return [(hour, min(ts)[2], max(ts)[2]) for hour, ts in sorted(hours.items())]


def test_latest_prices_are_each_pair_s_last_trade_and_the_minute_before(built: Built) -> None:
    latest = {row["symbol"]: row for row in built.read(queries.latest(DUCKDB))}
    assert sorted(latest) == sorted(symbols.DEFAULT_PAIRS)
    for pair, row in latest.items():
        closes = minute_closes(built.trades, pair)
        (previous, newest) = list(closes)[-2:]
        assert (row["time"], row["price"]) == (newest, closes[newest])
        assert row["previous_price"] == (closes[previous] if newest - previous <= 3600 else None)
        assert row["market_cap"] is not None and row["market_cap_rank"] is not None


def test_hour_candles_open_and_close_as_their_trades_do(built: Built) -> None:
    for pair in symbols.DEFAULT_PAIRS:
        candles = built.read(queries.candles(DUCKDB, pair, "1h", None))
        expected = hour_candles(built.trades, pair)
        assert [(c["time"], c["open"], c["close"]) for c in candles] == expected
        day = built.read(queries.day_candles(DUCKDB, pair))
        for candle, (_, opening, closing) in zip(day, reversed(expected), strict=True):
            assert candle["direction"] == ("bearish" if closing < opening else "bullish")


def test_a_refresh_reads_from_the_newest_held_minute_on(built: Built) -> None:
    closes = minute_closes(built.trades, "SOLUSDT")
    held = list(closes)[-3]
    after = datetime.fromtimestamp(held, UTC)
    candles = built.read(queries.candles(DUCKDB, "SOLUSDT", "1m", after))
    assert [(c["time"], c["close"]) for c in candles] == [
        (minute, close) for minute, close in closes.items() if minute >= held
    ]
    prices = built.read(queries.average_prices(DUCKDB, after))
    assert {row["symbol"] for row in prices} == set(symbols.DEFAULT_PAIRS)
    assert min(row["time"] for row in prices) >= held


def test_health_counts_the_skipped_trade_ids_and_volatility_has_every_pair(built: Built) -> None:
    health = {row["symbol"]: row for row in built.read(queries.pipeline_health(DUCKDB))}
    assert {pair: row["missing_trade_ids"] for pair, row in health.items()} == dict.fromkeys(
        symbols.DEFAULT_PAIRS, SKIPPED_IDS
    )
    for pair, row in health.items():
        assert row["windows"] == len(minute_closes(built.trades, pair))
    scores = built.read(queries.volatility(DUCKDB))
    assert sorted(row["symbol"] for row in scores) == sorted(symbols.DEFAULT_PAIRS)
    fresh = {row["symbol"]: row for row in built.read(queries.freshness(DUCKDB))}
    for pair, row in fresh.items():
        assert (
            row["raw_newest"] == row["mart_newest"] == list(minute_closes(built.trades, pair))[-1]
        )
