"""Payload text and WebSocket frame bytes, checked against json and RFC 6455."""

from __future__ import annotations

import json

import pytest

from coinpulse import binance_frames
from coinpulse.trade import Trade
from standins.exchange import wire
from standins.exchange.market import GeneratedTrade

pytestmark = pytest.mark.unit

TRADE = GeneratedTrade(
    439577, 6_501_234_000_000, 238_000, 1_700_000_000_000, 1_700_000_000_002, True
)


def test_trade_payload_is_the_json_binance_sends() -> None:
    assert json.loads(wire.trade_payload("BTCUSDT", TRADE)) == {
        "e": "trade",
        "E": 1_700_000_000_002,
        "s": "BTCUSDT",
        "t": 439577,
        "p": "65012.34000000",
        "q": "0.00238000",
        "T": 1_700_000_000_000,
        "m": True,
        "M": True,
    }


def test_enveloped_payload_parses_as_a_trade() -> None:
    frame = wire.envelope(
        "btcusdt@trade", wire.trade_payload("BTCUSDT", TRADE._replace(buyer_maker=False))
    )
    trade = binance_frames.parse_frame(frame, received_at=5)
    assert isinstance(trade, Trade)
    assert (trade.symbol, trade.trade_id, trade.price, trade.is_buyer_maker) == (
        "BTCUSDT",
        439577,
        "65012.34000000",
        False,
    )
    assert json.loads(frame)["stream"] == "btcusdt@trade"


def test_shutdown_payload_parses_as_server_shutdown_in_both_forms() -> None:
    bare = wire.shutdown_payload(1234)
    combined = wire.envelope(wire.SHUTDOWN_STREAM, bare)
    for text in (bare, combined):
        assert binance_frames.parse_frame(text, 0) == binance_frames.ServerShutdown(1234)
    assert json.loads(combined)["stream"] == "!serverShutdown"


@pytest.mark.parametrize(
    ("size", "header"),
    [
        (5, b"\x81\x05"),
        (200, b"\x81\x7e\x00\xc8"),
        (70_000, b"\x81\x7f" + (70_000).to_bytes(8, "big")),
    ],
)
def test_text_frame_uses_the_shortest_length_encoding(size: int, header: bytes) -> None:
    frame = wire.text_frame("x" * size)
    assert frame == header + b"x" * size


def test_text_frame_counts_utf8_bytes_not_characters() -> None:
    assert wire.text_frame("é") == b"\x81\x02" + "é".encode()


def test_ping_frame_and_its_size_limit() -> None:
    assert wire.ping_frame(b"123") == b"\x89\x03123"
    with pytest.raises(ValueError, match="125"):
        wire.ping_frame(b"x" * 126)
