"""Compact trades, the decimal-places guard, chunks and time formatting."""

from __future__ import annotations

import pytest

from beam_pipeline import trades
from coinpulse import timefmt
from coinpulse.trade import InvalidTrade, Trade, build

pytestmark = pytest.mark.unit

T0 = 1_767_225_600_000


def trade(price: str, quantity: str = "1", trade_id: int = 1, time: int = T0) -> Trade:
    return build(
        pair="ETHUSDT", trade_id=trade_id, price=price, quantity=quantity, trade_time=time,
        event_time=None, is_buyer_maker=True, received_at=0, source="ws",
    )  # fmt: skip


def test_compact_keeps_the_exchange_strings() -> None:
    assert trades.compact(trade("3300.12345678", "0.10000000")) == (
        1, T0, "3300.12345678", "0.10000000", True,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("price", "quantity", "column"),
    [
        ("1.123456789", "1", "price_sq_sum"),  # price² needs 18 places, the column keeps 16
        ("1.12345678", "1.1234567891", "late_trades.quantity"),  # 10 places, it keeps 9
        ("1.12345678", "1.123456789", "quote_volume"),  # price * quantity: 17 places
        ("1" + "0" * 29, "1", "late_trades.price"),  # 30 digits, NUMERIC(38, 9) holds 29
        ("100000000", "1", "price_sq_sum"),  # 10^16 per trade, times 10^6 trades > 10^22
        ("1", "1" + "0" * 23, "base_volume"),
    ],
)
def test_values_a_column_cannot_hold_are_refused_with_the_column(
    price: str, quantity: str, column: str
) -> None:
    with pytest.raises(InvalidTrade, match=column):
        trades.compact(trade(price, quantity))


def test_the_largest_values_every_column_holds_are_trades() -> None:
    largest = trades.compact(trade("99999999.99999999", "0.00000001"))
    assert largest[2:4] == ("99999999.99999999", "0.00000001")
    assert trades.compact(trade("0.00000001", "9999999999999999.99999999"))[3].startswith("9")


@pytest.mark.parametrize(
    "time", [T0 * 1000, T0 // 1000, trades.EARLIEST_TRADE_MS - 1, trades.LATEST_TRADE_MS]
)
def test_trade_times_outside_a_sane_range_are_refused(time: int) -> None:
    with pytest.raises(InvalidTrade, match="trade_time"):
        trades.compact(trade("1", time=time))


def test_trailing_zeros_beyond_eight_places_are_fine() -> None:
    assert trades.compact(trade("1.1234567800"))[2] == "1.1234567800"


def test_chunks_are_per_symbol_and_minute_and_stamped_with_their_earliest_trade() -> None:
    pairs = [
        ("BTCUSDT", (1, T0 + 61_000, "1", "1", False)),
        ("BTCUSDT", (2, T0 + 5, "1", "1", False)),
        ("ETHUSDT", (3, T0 + 9, "1", "1", False)),
        ("BTCUSDT", (4, T0 + 1, "1", "1", False)),
    ]
    chunks = sorted(
        (c.value[0], c.timestamp.micros // 1000, [t[0] for t in c.value[1]])
        for c in trades.chunk_by_window(pairs)
    )
    assert chunks == [
        ("BTCUSDT", T0 + 1, [2, 4]),
        ("BTCUSDT", T0 + 61_000, [1]),
        ("ETHUSDT", T0 + 9, [3]),
    ]


def test_times_are_rfc3339_utc_with_milliseconds() -> None:
    assert timefmt.rfc3339_ms(T0 + 1_234) == "2026-01-01T00:00:01.234Z"
    assert trades.window_start_ms(T0 + 59_999) == T0
