"""The dashboard's queries on a DuckDB warehouse of known marts, and their BigQuery spelling."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import duckdb
import pytest
from fixtures_marts import MINUTES, PAIRS, START, fill

from dashboards.local import queries
from dashboards.local.queries import DUCKDB, BadRequest, Query

pytestmark = pytest.mark.unit

MINUTE = 60
THREE_HOURS_AT_START = int(START.timestamp())


@pytest.fixture
def connection() -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect() as connection:
        fill(connection)
        yield connection


def rows(connection: duckdb.DuckDBPyConnection, query: Query) -> list[dict[str, Any]]:
    cursor = connection.execute(query.sql, query.params)
    names = [column[0] for column in cursor.description or ()]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@pytest.mark.parametrize(("frame", "count"), [("1m", 180), ("5m", 36), ("15m", 12), ("1h", 3)])
def test_a_first_read_gets_every_candle_oldest_first(
    connection: duckdb.DuckDBPyConnection, frame: str, count: int
) -> None:
    candles = rows(connection, queries.candles(DUCKDB, "BTCUSDT", frame, None))
    times = [candle["time"] for candle in candles]
    assert len(times) == count
    assert times == sorted(times)
    assert times[0] == THREE_HOURS_AT_START


def test_a_refresh_reads_the_newest_held_candle_again_and_nothing_older(
    connection: duckdb.DuckDBPyConnection,
) -> None:
    newest_held = START + timedelta(minutes=MINUTES - 3)
    candles = rows(connection, queries.candles(DUCKDB, "ETHUSDT", "1m", newest_held))
    assert [c["time"] for c in candles] == [
        int(newest_held.timestamp()) + i * MINUTE for i in range(3)
    ]


def test_a_first_read_is_capped_at_the_newest_candles(
    connection: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "MAX_CANDLES", 10)
    candles = rows(connection, queries.candles(DUCKDB, "BTCUSDT", "1m", None))
    last_minute = THREE_HOURS_AT_START + (MINUTES - 1) * MINUTE
    assert [c["time"] for c in candles] == [last_minute - (9 - i) * MINUTE for i in range(10)]


def test_candles_match_the_mart_s_own_numbers(connection: duckdb.DuckDBPyConnection) -> None:
    (candle,) = [
        c
        for c in rows(connection, queries.candles(DUCKDB, "ADAUSDT", "1h", None))
        if c["time"] == THREE_HOURS_AT_START
    ]
    stored = connection.execute(
        "SELECT open_price, close_price, base_volume FROM crypto_mart.mart_ohlc "
        "WHERE symbol = 'ADAUSDT' AND timeframe = '1h' AND bucket_start = ?",
        [START],
    ).fetchone()
    assert stored is not None
    assert (candle["open"], candle["close"], candle["volume"]) == tuple(map(float, stored))


def test_latest_gives_each_pair_s_newest_close_and_the_one_before(
    connection: duckdb.DuckDBPyConnection,
) -> None:
    latest = rows(connection, queries.latest(DUCKDB))
    assert sorted(row["symbol"] for row in latest) == sorted(PAIRS)
    for row in latest:
        last_two = connection.execute(
            "SELECT close_price FROM crypto_mart.mart_crypto_prices WHERE symbol = ? "
            "ORDER BY window_start DESC LIMIT 2",
            [row["symbol"]],
        ).fetchall()
        assert (row["price"], row["previous_price"]) == (
            float(last_two[0][0]),
            float(last_two[1][0]),
        )
        assert row["time"] == THREE_HOURS_AT_START + (MINUTES - 1) * MINUTE


def test_latest_orders_pairs_by_market_cap_rank(connection: duckdb.DuckDBPyConnection) -> None:
    ranks = [row["market_cap_rank"] for row in rows(connection, queries.latest(DUCKDB))]
    assert ranks == sorted(ranks)


def test_average_prices_first_read_covers_the_last_day_then_only_new_minutes(
    connection: duckdb.DuckDBPyConnection,
) -> None:
    first = rows(connection, queries.average_prices(DUCKDB, None))
    assert len(first) == len(PAIRS) * MINUTES  # all three hours are within the last day
    since = START + timedelta(minutes=MINUTES - 1)
    refresh = rows(connection, queries.average_prices(DUCKDB, since))
    assert [(r["symbol"], r["time"]) for r in refresh] == [
        (pair, int(since.timestamp())) for pair in sorted(PAIRS)
    ]


def test_volatility_gives_each_pair_s_newest_hour(connection: duckdb.DuckDBPyConnection) -> None:
    scores = rows(connection, queries.volatility(DUCKDB))
    newest_hour = THREE_HOURS_AT_START + 2 * 3600
    assert [(r["symbol"], r["time"]) for r in scores] == [
        (pair, newest_hour) for pair in sorted(PAIRS)
    ]


def test_day_candles_mark_a_candle_that_closes_below_its_open_bearish(
    connection: duckdb.DuckDBPyConnection,
) -> None:
    candles = rows(connection, queries.day_candles(DUCKDB, "BTCUSDT"))
    assert [c["time"] for c in candles] == [THREE_HOURS_AT_START + h * 3600 for h in (2, 1, 0)]
    for candle in candles:
        assert candle["direction"] == ("bearish" if candle["close"] < candle["open"] else "bullish")
    assert {c["direction"] for c in candles} == {"bullish", "bearish"}


def test_health_reads_verify_s_results_and_the_dead_letters(
    connection: duckdb.DuckDBPyConnection,
) -> None:
    checks = {
        r["symbol"]: r["missing_trades"] for r in rows(connection, queries.completeness(DUCKDB))
    }
    assert checks == {"ADAUSDT": 0, "BTCUSDT": 2, "ETHUSDT": 0}
    (letters,) = rows(connection, queries.dead_letters(DUCKDB))
    assert (letters["stage"], letters["reason"], letters["letters"]) == (
        "relay",
        "unparseable_frame",
        1,
    )
    fresh = rows(connection, queries.freshness(DUCKDB))
    assert {r["symbol"]: r["raw_newest"] for r in fresh} == dict.fromkeys(sorted(PAIRS))


def test_bigquery_spells_tables_times_and_parameters_its_way() -> None:
    query = queries.candles(queries.bigquery("prod-1"), "BTCUSDT", "5m", START)
    assert "`prod-1.crypto_mart.mart_ohlc`" in query.sql
    assert "UNIX_SECONDS(bucket_start)" in query.sql
    assert "bucket_start >= @since" in query.sql
    assert query.params == {"symbol": "BTCUSDT", "timeframe": "5m", "since": START}


@pytest.mark.parametrize("text", [None, "", "2m", "1M"])
def test_an_unknown_timeframe_is_refused(text: str | None) -> None:
    with pytest.raises(BadRequest, match="timeframe"):
        queries.timeframe(text)


@pytest.mark.parametrize("text", ["yesterday", "1.5", "99999999999999999"])
def test_since_must_be_epoch_seconds(text: str) -> None:
    with pytest.raises(BadRequest, match="epoch seconds"):
        queries.since(text)


def test_pipeline_health_totals_each_pair_s_last_day_of_hours(
    connection: duckdb.DuckDBPyConnection,
) -> None:
    connection.execute(
        "INSERT INTO crypto_mart.mart_pipeline_health (symbol, window_hour, windows_present, "
        "trades, missing_trade_ids, late_trades) VALUES ('BTCUSDT', ?, 60, 600, 1000, 1000)",
        [START - timedelta(hours=23)],  # 26 hours before the newest hour: outside the day
    )
    totals = {r["symbol"]: r for r in rows(connection, queries.pipeline_health(DUCKDB))}
    assert sorted(totals) == sorted(PAIRS)
    for pair, total in totals.items():
        stored = connection.execute(
            "SELECT count(*), sum(windows_present), sum(missing_trade_ids), sum(late_trades) "
            "FROM crypto_mart.mart_pipeline_health WHERE symbol = ? AND window_hour >= ?",
            [pair, START],
        ).fetchone()
        shown = (total["hours"], total["windows"], total["missing_trade_ids"], total["late_trades"])
        assert shown == stored
        assert total["windows"] == MINUTES
