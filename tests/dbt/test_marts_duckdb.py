"""dbt build on the local DuckDB warehouse over generated trades: every mart figure is
the figure of the trades, every join matches, and the health mart agrees with verify.

The ground truth is computed here from the trades themselves with DuckDB SQL that
shares nothing with the models: buckets by integer division of trade times, open
and close by (trade_time, trade_id), population deviation by ``stddev_pop``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from fixtures_dbt import (
    DERIVED,
    EXACT,
    RELATIVE_TOLERANCE,
    START,
    TIMEFRAMES,
    GeneratedMarket,
    Trade,
    Warehouse,
    candle_table,
    market_table,
    new_warehouse,
    truth,
    window_rows,
)

from coinpulse import completeness, symbols, windows
from commands import verify
from commands.duckdb_warehouse import LEDGER

pytestmark = pytest.mark.integration


def load_day(warehouse: Warehouse, trades: list[Trade]) -> None:
    warehouse.insert_windows(window_rows(trades))
    day = START.date()
    warehouse.insert("coingecko_markets", market_table(day, START - timedelta(hours=12)))
    warehouse.insert(
        "coingecko_markets", market_table(day + timedelta(days=1), START + timedelta(hours=2), 2.0)
    )
    warehouse.insert("coingecko_ohlc_candles", candle_table(day, START))
    warehouse.ledger(START + timedelta(hours=4))


@dataclass
class Built:
    warehouse: Warehouse
    trades: list[Trade]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """One dbt build over 150 minutes of generated trades (3 trade ids skipped per
    pair), then an hour without trades, then ten more minutes."""
    warehouse = new_warehouse(tmp_path_factory.mktemp("warehouse"))
    market = GeneratedMarket(7)
    trades = market.generate(START, 150, skip_ids=3)
    trades += market.generate(START + timedelta(minutes=220), 10)
    load_day(warehouse, trades)
    assert warehouse.dbt("build") == 0
    return Built(warehouse, trades)


def test_ohlc_figures_equal_the_figures_of_the_buckets_trades(built: Built) -> None:
    trades, warehouse = built.trades, built.warehouse

    expected = truth(trades)
    rows = warehouse.dicts("select * from crypto_mart.mart_ohlc")
    assert {(r["symbol"], r["timeframe"], r["bucket_start"]) for r in rows} == set(expected)
    for row in rows:
        reference = expected[(row["symbol"], row["timeframe"], row["bucket_start"])]
        assert row["bucket_end"] - row["bucket_start"] == timedelta(
            seconds=TIMEFRAMES[row["timeframe"]]
        )
        for column in EXACT:
            assert Decimal(row[column]) == Decimal(reference[column]), (row, column)
        scale = float(reference["avg_price"])
        for column in DERIVED:
            assert abs(row[column] - reference[column]) <= RELATIVE_TOLERANCE * scale, (
                row,
                column,
                reference[column],
            )
    # Buckets really roll minutes up: a day bucket holds every trade of its pair's day.
    days = [r for r in rows if r["timeframe"] == "1d"]
    assert sum(r["trade_count"] for r in days) == len(trades)


def test_staging_keeps_the_best_row_of_every_minute_by_the_one_rule(built: Built) -> None:
    warehouse = built.warehouse

    key = "symbol, window_start, trade_count, emitted_at, pane_index"
    staged = warehouse.query(f"select {key} from crypto_staging.stg_binance__windows")
    rule = warehouse.query(f"select {key} from ({windows.best_windows_sql()})")
    assert sorted(staged) == sorted(rule)
    panes = warehouse.query("select count(*) from crypto_raw.stream_prices")[0][0]
    assert len(staged) < panes  # early panes existed and lost


def test_prices_carry_the_market_of_the_windows_own_day(built: Built) -> None:
    warehouse = built.warehouse

    rows = warehouse.dicts(
        "select p.symbol, p.ticker, p.window_start, p.snapshot_date, p.market_cap,"
        " m.market_cap as raw_cap, p.price_usd, p.close_price, p.market_cap_category"
        " from crypto_mart.mart_crypto_prices as p"
        " join crypto_raw.coingecko_markets as m"
        " on m.coin_id = p.coin_id and m.snapshot_date = p.snapshot_date"
    )
    total = warehouse.query("select count(*) from crypto_mart.mart_crypto_prices")[0][0]
    assert len(rows) == total  # every window found its snapshot
    for row in rows:
        day = row["window_start"].date()
        assert row["snapshot_date"] == day
        assert row["market_cap"] == row["raw_cap"]
        assert row["ticker"] == symbols.by_pair(row["symbol"]).ticker
        assert row["price_usd"] == row["close_price"]
        assert row["market_cap_category"] is not None
    assert {row["snapshot_date"] for row in rows} == {START.date(), date(2026, 5, 19)}


def test_health_counts_the_missing_trade_ids_that_verify_finds(built: Built) -> None:
    trades, warehouse = built.trades, built.warehouse

    found = verify.check(warehouse.path, completeness.Scope())
    by_pair = {result.symbol: (result.missing, result.counted_twice) for result in found}
    health = warehouse.query(
        "select symbol, sum(missing_trade_ids), sum(trade_ids_counted_twice), sum(trades)"
        " from crypto_mart.mart_pipeline_health group by symbol"
    )
    assert {row[0]: (row[1], row[2]) for row in health} == by_pair
    assert all(missing == 3 for missing, _ in by_pair.values())  # skip_ids=3 per pair
    assert sum(row[3] for row in health) == len(trades)
    hours = warehouse.dicts(
        "select * from crypto_mart.mart_pipeline_health where symbol = 'BTCUSDT'"
        " order by window_hour"
    )
    assert [h["window_hour"].hour for h in hours] == [22, 23, 0, 1, 2]
    quiet = hours[3]
    assert (quiet["windows_present"], quiet["trades"], quiet["missing_trade_ids"]) == (0, 0, 0)
    loaded = warehouse.query(f"select max(loaded_at) from {LEDGER}")[0][0]
    lags = [h["max_load_lag_seconds"] for h in hours if h["windows_present"]]
    assert all(0 < lag <= (loaded - START).total_seconds() for lag in lags)
