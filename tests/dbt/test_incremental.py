"""Incremental builds equal a full refresh after late panes and a repair.

A first build covers two days of generated windows. Then, as in production: a
late pane restates a recent minute with more trades, a new minute arrives, a
market snapshot for today lands, and a repair rewrites a minute of the day
before yesterday (older than the lookback) and is rebuilt with ``--since``. The
incremental result must be the full refresh's, row for row, in every mart.
An incremental build's data tests read the rows from its rebuilt range;
``dbt test`` reads them all.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fixtures_dbt import (
    START,
    GeneratedMarket,
    Trade,
    Warehouse,
    market_table,
    window_rows,
)

from commands import transform

pytestmark = pytest.mark.integration

MARTS = {
    "mart_ohlc": "symbol, timeframe, bucket_start",
    "mart_crypto_prices": "symbol, window_start",
    "mart_volatility": "symbol, window_hour",
    "mart_pipeline_health": "symbol, window_hour",
}
OLD = START - timedelta(days=2)


def snapshot(warehouse: Warehouse) -> dict[str, list[tuple[Any, ...]]]:
    return {
        mart: warehouse.query(f"select * from crypto_mart.{mart} order by {key}")
        for mart, key in MARTS.items()
    }


def restated(trades: list[Trade], extra: list[Trade], pane_index: int) -> list[dict[str, Any]]:
    """The rows of a pane that holds ``trades`` plus ``extra`` of the same minute."""
    rows: list[dict[str, Any]] = window_rows(trades + extra, early_panes=False, emitted_late=90)
    for row in rows:
        row["pane_index"], row["pane_timing"] = pane_index, "LATE"
    return rows


def minute_of(trades: list[Trade], pair: str, minute: datetime) -> list[Trade]:
    start_ms = int(minute.timestamp() * 1000)
    return [t for t in trades if t[0] == pair and t[2] // 60_000 * 60_000 == start_ms]


def repair(warehouse: Warehouse, market: GeneratedMarket, old: list[Trade], pair: str) -> int:
    """Rewrite the minute after a pair's gap with the trade the gap missed; its trades."""
    found = market.skipped_trade(pair)
    minute = datetime.fromtimestamp(found[2] / 1000, UTC)
    held = minute_of(old, pair, minute)
    warehouse.insert_windows(restated(held, [found], pane_index=0))
    return len(held) + 1


def test_incremental_runs_equal_a_full_refresh(dbt_warehouse: Warehouse) -> None:
    market = GeneratedMarket(11)
    old = market.generate(OLD, 30, skip_ids=1)
    recent = market.generate(START, 120)
    dbt_warehouse.insert_windows(window_rows(old + recent))
    dbt_warehouse.insert("coingecko_markets", market_table(OLD.date(), OLD))
    assert dbt_warehouse.dbt(*transform.MODELS_ONLY) == 0
    first = snapshot(dbt_warehouse)

    # A late pane: the last recent minute of BTCUSDT gains two trades at its end.
    last_minute = START + timedelta(minutes=119)
    held = minute_of(recent, "BTCUSDT", last_minute)
    late = market.minute_trades(
        "BTCUSDT", last_minute, 2, after_ms=max(t[2] for t in held) % 60_000
    )
    dbt_warehouse.insert_windows(restated(held, late, pane_index=2))
    # A new minute for every pair, and today's market snapshot.
    dbt_warehouse.insert_windows(window_rows(market.generate(START + timedelta(minutes=120), 1)))
    dbt_warehouse.insert("coingecko_markets", market_table(START.date(), START, 3.0))
    # A repair two days back (older than the lookback), rebuilt with its range.
    repair(dbt_warehouse, market, old, "ETHUSDT")
    since = market.skipped["ETHUSDT"][1].isoformat()

    assert dbt_warehouse.dbt(*transform.MODELS_ONLY, since=since) == 0
    incremental = snapshot(dbt_warehouse)
    assert dbt_warehouse.dbt(*transform.MODELS_ONLY, "--full-refresh") == 0
    full = snapshot(dbt_warehouse)

    for mart in MARTS:
        assert incremental[mart] == full[mart], mart
        assert incremental[mart] != first[mart], mart  # the changes reached every mart
    counts = dbt_warehouse.query(
        "select trade_count from crypto_mart.mart_crypto_prices where symbol = 'BTCUSDT'"
        f" and window_start = to_timestamp({int(last_minute.timestamp())})"
    )
    assert counts == [(len(held) + 2,)]
    missing = dbt_warehouse.query(
        "select symbol, sum(missing_trade_ids) from crypto_mart.mart_pipeline_health"
        " group by symbol order by symbol"
    )
    assert dict(missing) == {pair: 0 if pair == "ETHUSDT" else 1 for pair in dict(missing)}


def test_a_repair_older_than_the_lookback_needs_its_range(dbt_warehouse: Warehouse) -> None:
    market = GeneratedMarket(12)
    old = market.generate(OLD, 12, skip_ids=1)
    dbt_warehouse.insert_windows(window_rows(old + market.generate(START, 10)))
    assert dbt_warehouse.dbt(*transform.MODELS_ONLY) == 0
    trades = repair(dbt_warehouse, market, old, "SOLUSDT")
    minute = market.skipped["SOLUSDT"][1]
    query = (
        "select trade_count from crypto_mart.mart_crypto_prices where symbol = 'SOLUSDT'"
        f" and window_start = to_timestamp({int(minute.timestamp())})"
    )

    assert dbt_warehouse.dbt(*transform.MODELS_ONLY) == 0
    assert dbt_warehouse.query(query) == [(trades - 1,)]  # outside the lookback: untouched
    assert dbt_warehouse.dbt(*transform.MODELS_ONLY, since=minute.isoformat()) == 0
    assert dbt_warehouse.query(query) == [(trades,)]


def test_an_incremental_build_tests_its_rebuilt_range_and_dbt_test_every_row(
    dbt_warehouse: Warehouse,
) -> None:
    market = GeneratedMarket(13)
    old = market.generate(OLD, 3)
    recent = market.generate(START, 3)
    dbt_warehouse.insert_windows(window_rows(old + recent))
    assert dbt_warehouse.dbt("build") == 0

    def broken(trades: list[Trade]) -> list[dict[str, Any]]:
        """A restating pane of the minute whose vwap lies above its high."""
        pane = restated(trades, [], pane_index=5)
        for row in pane:
            row["vwap"] = str(Decimal(row["high_price"]) + 1)
        return pane

    # Two days back, older than the lookback, which no incremental build rebuilds:
    # a broken raw pane and a broken mart row.
    dbt_warehouse.insert_windows(broken(minute_of(old, "BTCUSDT", OLD)))
    dbt_warehouse.execute(
        "update crypto_mart.mart_crypto_prices set vwap = high_price + 1"
        f" where symbol = 'SOLUSDT' and window_start = to_timestamp({int(OLD.timestamp())})"
    )
    assert dbt_warehouse.dbt("build") == 0
    assert dbt_warehouse.dbt("test") != 0
    assert sorted(dbt_warehouse.failed_tests()) == [
        "expression_is_true_mart_crypto_prices_vwap_between_low_price_and_high_price",
        "expression_is_true_stg_binance__windows_vwap_low_price_and_vwap_high_price",
    ]

    # The newest minute is in every rebuilt range.
    dbt_warehouse.insert_windows(broken(minute_of(recent, "ETHUSDT", START + timedelta(minutes=2))))
    assert dbt_warehouse.dbt("build") != 0
    assert dbt_warehouse.failed_tests() == [
        "expression_is_true_stg_binance__windows_vwap_low_price_and_vwap_high_price"
    ]
