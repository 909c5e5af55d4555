"""Every panel's SQL, as Grafana sends it, runs on the BigQuery emulator over the marts.

Each panel's ``rawSql`` is taken from the built dashboard, its variables and macros are
expanded as Grafana and the BigQuery plugin expand them (reference/grafana_bigquery.py),
and the query runs on bqemulator over the marts and raw tables of fixtures_panel_marts.py,
whose rows lie on both sides of the time range. The load-jobs query reads that
fixture's ``jobs`` table in place of INFORMATION_SCHEMA.JOBS, which the emulator lacks.
"""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from fixtures_panel_marts import COINS, FROM, HOURS, MINUTES, TO, Panels


def columns(rows: list[Any]) -> list[str]:
    return [name for name, _ in rows[0]]


def column(rows: list[Any], name: str) -> list[Any]:
    return [dict(row)[name] for row in rows]


@pytest.mark.integration
def test_latest_price_is_a_close_per_coin_and_minute_within_the_range(
    mart_panels: Panels,
) -> None:
    rows = mart_panels.panel("Latest price")
    assert columns(rows) == ["time", "symbol", "price_usd"]
    assert len(rows) == len(COINS) * len(MINUTES)
    times = column(rows, "time")
    assert times == sorted(times) and times[0] >= FROM and times[-1] <= TO
    last_btc = [dict(r) for r in rows if dict(r)["symbol"] == "BTCUSDT"][-1]
    assert last_btc["price_usd"] == Decimal(60000 + len(MINUTES))


@pytest.mark.integration
def test_average_price_is_grouped_by_grafanas_interval(mart_panels: Panels) -> None:
    rows = mart_panels.panel("Average price per minute")  # the interval is an hour here
    assert columns(rows) == ["time", "symbol", "avg_price"]
    assert {t.minute for t in column(rows, "time")} == {0}
    first_btc = next(dict(r) for r in rows if dict(r)["symbol"] == "BTCUSDT")
    assert first_btc["time"] == FROM
    # the six 10-minute rows of the first hour are prices 60001..60006
    assert first_btc["avg_price"] == Decimal("60003.5")


@pytest.mark.integration
def test_volatility_is_a_score_per_coin_and_hour(mart_panels: Panels) -> None:
    rows = mart_panels.panel("Hourly volatility score")
    assert columns(rows) == ["time", "symbol", "composite_volatility_score"]
    assert sorted(set(column(rows, "time"))) == HOURS


@pytest.mark.integration
def test_market_cap_rankings_are_the_latest_row_per_coin_by_rank(mart_panels: Panels) -> None:
    rows = mart_panels.panel("Market cap rankings")
    assert columns(rows) == [
        "market_cap_rank", "name", "ticker", "market_cap", "market_cap_category",
        "total_volume", "fully_diluted_valuation", "snapshot_date",
    ]  # fmt: skip
    assert column(rows, "ticker") == ["BTC", "ETH"]
    assert column(rows, "market_cap") == [60000 * 1e7 + len(MINUTES), 3000 * 1e7 + len(MINUTES)]
    assert column(rows, "snapshot_date") == [date(2026, 5, 18)] * 2


@pytest.mark.integration
def test_todays_candles_are_the_last_days_hours_with_bearish_ones_named(
    mart_panels: Panels,
) -> None:
    rows = mart_panels.panel("Today's candles")
    assert columns(rows) == [
        "bucket_start", "symbol", "open_price", "high_price", "low_price", "close_price",
        "base_volume", "change_pct", "direction",
    ]  # fmt: skip
    today = [h for h in HOURS if h.date() == TO.date()]
    assert sorted(set(column(rows, "bucket_start"))) == today
    for row in map(dict, rows):
        expected = "bearish" if row["close_price"] < row["open_price"] else "bullish"
        assert row["direction"] == expected
    assert {"bearish", "bullish"} == set(column(rows, "direction"))


@pytest.mark.integration
def test_the_24h_change_is_the_latest_per_coin_highest_first(mart_panels: Panels) -> None:
    rows = mart_panels.panel("24 h change %")
    latest = 1 + len(MINUTES) / 1000
    assert rows == [
        [("ticker", "BTC"), ("price_change_percentage_24h", pytest.approx(latest))],
        [("ticker", "ETH"), ("price_change_percentage_24h", pytest.approx(-latest))],
    ]


@pytest.mark.integration
@pytest.mark.parametrize(("timeframe", "expected"), [("1h", len(HOURS)), ("1m", 3)])
def test_candles_are_one_symbols_timeframe(
    mart_panels: Panels, timeframe: str, expected: int
) -> None:
    rows = mart_panels.panel("Candles: ${symbol} ${timeframe}", "ETHUSDT", timeframe)
    assert columns(rows) == ["time", "open", "high", "low", "close", "volume"]
    assert len(rows) == expected
    for row in map(dict, rows):
        assert row["low"] <= min(row["open"], row["close"]) <= row["high"]
        assert row["open"] < 60000  # ETHUSDT's prices, not BTCUSDT's


@pytest.mark.integration
def test_freshness_is_seconds_since_each_coins_newest_window(mart_panels: Panels) -> None:
    started = datetime.now(UTC)
    rows = mart_panels.panel("Data freshness")
    assert column(rows, "symbol") == ["BTCUSDT", "ETHUSDT"]
    newest_end = datetime(2026, 5, 18, 12, 3, tzinfo=UTC)  # minute 2's window ends 12:03
    for seconds in column(rows, "seconds_behind"):
        assert abs(seconds - (started - newest_end).total_seconds()) < 120


@pytest.mark.integration
def test_missing_ids_and_late_trades_are_per_coin_and_hour(mart_panels: Panels) -> None:
    missing = mart_panels.panel("Missing trade ids")
    assert columns(missing) == ["time", "symbol", "missing_trade_ids", "trade_ids_counted_twice"]
    assert len(missing) == len(COINS) * len(HOURS)
    late = mart_panels.panel("Late trades")
    assert columns(late) == ["time", "symbol", "late_trades"]
    assert min(column(late, "late_trades")) == 1  # the hour before the range (0) is left out


@pytest.mark.integration
def test_dead_letters_are_counted_per_hour_and_stage(mart_panels: Panels) -> None:
    rows = mart_panels.panel("Dead letters")
    assert rows == [
        [("time", HOURS[2]), ("stage", "parse"), ("dead_letters", 2)],
        [("time", HOURS[3]), ("stage", "schema"), ("dead_letters", 1)],
    ]


@pytest.mark.integration
def test_load_jobs_are_counted_per_raw_table_and_day(mart_panels: Panels) -> None:
    rows = mart_panels.panel("Load jobs per table per day")
    assert rows == [
        [("day", date(2026, 5, 18)), ("table_name", "late_trades"), ("load_jobs", 1),
         ("daily_limit", 1500)],
        [("day", date(2026, 5, 18)), ("table_name", "stream_prices"), ("load_jobs", 1),
         ("daily_limit", 1500)],
        [("day", date(2026, 5, 17)), ("table_name", "stream_prices"), ("load_jobs", 2),
         ("daily_limit", 1500)],
    ]  # fmt: skip
