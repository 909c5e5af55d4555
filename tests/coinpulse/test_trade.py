"""The trade record refuses values no column can hold, with a readable reason."""

from __future__ import annotations

import pytest

from coinpulse import timefmt
from coinpulse.trade import InvalidTrade, Trade, build

pytestmark = pytest.mark.unit

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
RECORD = {
    "symbol": "BTCUSDT",
    "trade_id": 7,
    "price": "65000.10",
    "quantity": "0.5",
    "trade_time": T0,
    "is_buyer_maker": True,
}


def with_field(**changes: object) -> dict[str, object]:
    return {**RECORD, **changes}


NOT_PLAIN = ("1_000", " 5", "5 ", "\u0665", "\uff15", "+5", "1e3", "0x10", ".5", "5.", "Infinity")


@pytest.mark.parametrize("price", [*NOT_PLAIN, "NaN", "", "-", "1.5.5"])
def test_prices_are_plain_ascii_decimals(price: str) -> None:
    with pytest.raises(InvalidTrade, match="price is not numeric"):
        Trade.from_record(with_field(price=price))


@pytest.mark.parametrize("trade_id", [2**63, -1, 10**30])
def test_trade_ids_fit_int64(trade_id: int) -> None:
    with pytest.raises(InvalidTrade, match="trade_id"):
        Trade.from_record(with_field(trade_id=trade_id))


def test_the_largest_int64_trade_id_is_a_trade() -> None:
    assert Trade.from_record(with_field(trade_id=2**63 - 1)).trade_id == 2**63 - 1


@pytest.mark.parametrize("field", ["trade_time", "event_time"])
def test_times_fit_int64(field: str) -> None:
    with pytest.raises(InvalidTrade, match=field):
        Trade.from_record(with_field(**{field: 2**64}))


def test_a_valid_record_keeps_the_exchange_strings() -> None:
    trade = build(
        pair="BTCUSDT", trade_id=7, price="65000.10", quantity="0.50000000", trade_time=T0,
        event_time=None, is_buyer_maker=True, received_at=0, source="ws",
    )  # fmt: skip
    assert (trade.price, trade.quantity) == ("65000.10", "0.50000000")


def test_times_outside_the_timestamp_range_are_a_clear_error() -> None:
    assert timefmt.rfc3339_ms(timefmt.MAX_TIMESTAMP_MS) == "9999-12-31T23:59:59.999Z"
    assert timefmt.rfc3339_ms(timefmt.MIN_TIMESTAMP_MS) == "0001-01-01T00:00:00.000Z"
    for outside in (timefmt.MAX_TIMESTAMP_MS + 1, T0 * 1000, timefmt.MIN_TIMESTAMP_MS - 1):
        with pytest.raises(ValueError, match="outside the TIMESTAMP range"):
            timefmt.rfc3339_ms(outside)
