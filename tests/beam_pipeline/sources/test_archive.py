"""Binance archive rows: both time units, header detection, names, and reasons for bad rows."""

from __future__ import annotations

import pytest

from beam_pipeline.sources import archive
from coinpulse.symbols import UnknownSymbol
from coinpulse.trade import InvalidTrade

pytestmark = pytest.mark.unit


def test_milliseconds_and_microseconds_give_the_same_trade_time() -> None:
    ms = archive.parse_row("BTCUSDT", "7,100.5,0.1,10.05,1735776000123,True,True", 0)
    us = archive.parse_row("BTCUSDT", "7,100.5,0.1,10.05,1735776000123456,True,True\r\n", 0)
    assert ms.trade_time == us.trade_time == 1_735_776_000_123
    assert (ms.trade_id, ms.price, ms.quantity, ms.is_buyer_maker) == (7, "100.5", "0.1", True)
    assert ms.event_time is None
    assert ms.source == "archive"


def test_header_and_file_names() -> None:
    assert archive.is_header("id,price,qty,quote_qty,time,is_buyer_maker,is_best_match")
    assert not archive.is_header("7,100.5,0.1,10.05,1735776000123,True,True")
    assert archive.archive_pair("ETHUSDT-trades-2025-01-02.csv") == "ETHUSDT"
    assert archive.archive_pair("recording.txt") is None
    with pytest.raises(UnknownSymbol):
        archive.archive_pair("LTCUSDT-trades-2025-01-02.csv")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("7,100.5,0.1,10.05,1735776000123,True", "expected 7 columns"),
        ("7,100.5,0.1,10.05,soon,True,True", "must be integers"),
        ("7,100.5,0.1,10.05,1735776000123,yes,True", "is_buyer_maker must be True or False"),
        ("7,0,0.1,0,1735776000123,True,True", "price must be positive"),
        ("7,nan,0.1,0,1735776000123,True,True", "price is not numeric"),
    ],
)
def test_bad_rows_say_why(line: str, reason: str) -> None:
    with pytest.raises(InvalidTrade, match=reason):
        archive.parse_row("BTCUSDT", line, 0)
