"""Payload -> row conversion: nulls stay null, types are exact, unknown fields ignored."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from coinpulse import schemas
from functions.coingecko import rows
from functions.coingecko.rows import InvalidPayload
from standins.coingecko import data

pytestmark = pytest.mark.unit

DAY = date(2026, 5, 18)
NOW = datetime(2026, 5, 18, 12, 49, 21, 599000, tzinfo=UTC)
ALL = list(data.PROFILES)
MARKET_COLUMNS = {f["name"] for f in schemas.fields("coingecko_markets")}


@pytest.fixture(autouse=True)
def _recorded_coins(recorded_pairs: list[str]) -> None:
    """Every coin of the stand-in's catalogue mapped: omisego, a recorded pair, is the
    stale listing whose rank and change figures CoinGecko sends as null."""


def markets_payload() -> list[dict[str, Any]]:
    return [data.market(coin_id, NOW) for coin_id in ALL]


def by_id(built: list[rows.Row]) -> dict[str, rows.Row]:
    return {row["coin_id"]: row for row in built}


def test_every_requested_coin_becomes_one_row_with_exactly_the_table_columns() -> None:
    built, failures = rows.market_rows(markets_payload(), ALL, DAY, NOW)
    assert failures == {}
    assert [row["coin_id"] for row in built] == ALL
    assert all(set(row) == MARKET_COLUMNS for row in built)  # image, roi ... ignored


def test_nulls_stay_null_and_zeroes_stay_zero() -> None:
    payload = markets_payload()
    payload[0]["price_change_24h"] = 0
    market = by_id(rows.market_rows(payload, ALL, DAY, NOW)[0])
    assert market["ethereum"]["max_supply"] is None
    assert market["ethereum"]["fully_diluted_valuation"] is None
    assert market["omisego"]["market_cap_rank"] is None
    assert market["omisego"]["price_change_percentage_24h"] is None
    assert market["bitcoin"]["price_change_24h"] == 0.0


def test_values_have_the_table_types() -> None:
    market = by_id(rows.market_rows(markets_payload(), ALL, DAY, NOW)[0])["bitcoin"]
    assert market["snapshot_date"] == DAY
    assert market["symbol"] == "BTC" and market["name"] == "Bitcoin"
    assert type(market["market_cap"]) is float  # sent as a JSON integer
    assert type(market["market_cap_rank"]) is int
    assert market["ath_date"] == datetime(2025, 10, 6, 18, 57, 42, 558000, tzinfo=UTC)
    assert market["last_updated"].tzinfo is not None
    assert market["ingested_at"] == NOW


def test_missing_and_invalid_coins_fail_alone_and_unrequested_ones_are_ignored() -> None:
    payload = [item for item in markets_payload() if item["id"] != "solana"]
    next(item for item in payload if item["id"] == "cardano")["current_price"] = "0.25"
    built, failures = rows.market_rows(payload, ["bitcoin", "solana", "cardano"], DAY, NOW)
    assert [row["coin_id"] for row in built] == ["bitcoin"]
    assert failures == {
        "solana": "missing from the /coins/markets response",
        "cardano": "invalid /coins/markets entry: current_price is not a number: '0.25'",
    }


def test_a_response_that_is_not_a_list_of_coins_is_invalid() -> None:
    with pytest.raises(InvalidPayload):
        rows.market_rows({"error": "x"}, ALL, DAY, NOW)
    with pytest.raises(InvalidPayload):
        rows.market_rows([{"symbol": "btc"}], ALL, DAY, NOW)


@pytest.mark.parametrize("value", [True, "1", float("nan"), float("inf"), [1]])
def test_number_rejects_what_is_not_a_finite_number(value: Any) -> None:
    with pytest.raises(InvalidPayload):
        rows.number(value, "x")


def test_integer_and_timestamp_conversions() -> None:
    assert rows.integer(3.0, "rank") == 3 and rows.integer(None, "rank") is None
    with pytest.raises(InvalidPayload):
        rows.integer(3.5, "rank")
    assert rows.timestamp("2026-05-18T14:49:21+02:00", "t") == datetime(
        2026, 5, 18, 12, 49, 21, tzinfo=UTC
    )
    for bad in ("2026-05-18T12:49:21", "yesterday", 1779108561):
        with pytest.raises(InvalidPayload):
            rows.timestamp(bad, "t")


def test_one_day_gives_48_half_hour_candles_stamped_with_their_close_time() -> None:
    candles = rows.ohlc_rows(data.candles("bitcoin", 1, NOW), "bitcoin", 1, DAY, NOW)
    assert len(candles) == 48
    closes = [row["candle_close_time"] for row in candles]
    assert closes == sorted(closes)
    assert closes[-1] == datetime(2026, 5, 18, 13, 0, tzinfo=UTC)
    assert all(c.minute in (0, 30) and c.second == 0 for c in closes)
    for row in candles:
        assert row["candle_open_time"] == row["candle_close_time"] - timedelta(minutes=30)
        assert row["granularity_minutes"] == 30 and row["snapshot_date"] == DAY
        assert row["low"] <= min(row["open"], row["close"]) <= row["high"]


def test_only_candles_closed_a_cache_period_before_the_fetch_are_complete() -> None:
    candles = rows.ohlc_rows(data.candles("ethereum", 1, NOW), "ethereum", 1, DAY, NOW)
    incomplete = [row["candle_close_time"] for row in candles if not row["is_complete"]]
    assert incomplete == [datetime(2026, 5, 18, 13, 0, tzinfo=UTC)]  # still forming
    later = NOW.replace(minute=45, second=0, microsecond=0)  # 12:30 candle + 15 min
    recent = rows.ohlc_rows([[1779107400000, 1, 2, 0.5, 1.5]], "ethereum", 1, DAY, later)
    assert recent[0]["candle_close_time"] == datetime(2026, 5, 18, 12, 30, tzinfo=UTC)
    assert recent[0]["is_complete"]
    earlier = rows.ohlc_rows(
        [[1779107400000, 1, 2, 0.5, 1.5]], "ethereum", 1, DAY, later - timedelta(microseconds=1)
    )
    assert not earlier[0]["is_complete"]


def test_a_repeated_candle_is_kept_once_with_its_last_values_and_nulls_stay() -> None:
    payload = [[1779107400000, 1, 2, 0.5, 1.5], [1779107400000, 1, 3, 0.5, None]]
    (candle,) = rows.ohlc_rows(payload, "bitcoin", 1, DAY, NOW)
    assert candle["high"] == 3.0 and candle["close"] is None


@pytest.mark.parametrize(
    "payload", [[], {"error": "coin not found"}, [[1779107400000, 1, 2, 3]], [["t", 1, 2, 3, 4]]]
)
def test_malformed_candle_responses_are_invalid(payload: Any) -> None:
    with pytest.raises(InvalidPayload):
        rows.ohlc_rows(payload, "bitcoin", 1, DAY, NOW)


@pytest.mark.parametrize(("days", "minutes"), [(1, 30), (2, 30), (3, 240), (30, 240), (31, 5760)])
def test_granularity_follows_coingeckos_rule(days: int, minutes: int) -> None:
    assert rows.granularity_minutes(days) == minutes
