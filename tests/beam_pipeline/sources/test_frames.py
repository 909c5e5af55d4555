"""Recorded frames: prefixes, envelopes, bare payloads, and what is skipped or rejected."""

from __future__ import annotations

import json

import pytest

from beam_pipeline.sources import frames
from coinpulse.trade import InvalidTrade, Trade

pytestmark = pytest.mark.unit

TRADE = {"e": "trade", "E": 2, "s": "BTCUSDT", "t": 42, "p": "1.5", "q": "2", "T": 1, "m": False}


def test_prefixed_enveloped_and_bare_frames_are_trades() -> None:
    enveloped = json.dumps({"stream": "btcusdt@trade", "data": TRADE})
    prefixed = frames.parse_line(f"1633998274.723671: {enveloped}\n", received_at=0)
    bare = frames.parse_line(json.dumps(TRADE), received_at=99)
    assert isinstance(prefixed, Trade) and isinstance(bare, Trade)
    assert prefixed.received_at == 1_633_998_274_724  # the prefix wins over the default
    assert bare.received_at == 99
    assert (bare.trade_id, bare.price, bare.source) == (42, "1.5", "recording")


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("", "blank"),
        ("wss://stream.binance.us:9443/stream?streams=a <-> 1633998274.5", "recording_header"),
        ('{"stream":"crvusdt@depth@100ms","data":{"e":"depthUpdate"}}', "depth"),
        ('{"stream":"omgbusd@bookTicker","data":{"u":1,"s":"OMGBUSD"}}', "bookTicker"),
        ('{"stream":"crvusdt@kline_1m","data":{"e":"kline"}}', "kline_1m"),
        ('{"e":"24hrTicker","s":"BTCUSDT"}', "24hrTicker"),
        ('{"e":"serverShutdown","E":1}', "serverShutdown"),
    ],
)
def test_lines_that_are_not_trades_are_skipped_by_kind(line: str, kind: str) -> None:
    assert frames.parse_line(line, received_at=0) == kind


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("1633998274.7: {not json", "invalid JSON"),
        ("garbage without a frame", "neither JSON nor"),
        ('{"e":"aggTrade","a":1,"f":1,"l":3,"s":"BTCUSDT"}', "aggregates trades 1..3"),
        ('{"s":"BTCUSDT","p":"1"}', "missing event type"),
        (json.dumps({**TRADE, "s": "NOPEUSDT"}), "unknown symbol"),
    ],
)
def test_bad_frames_say_why(line: str, reason: str) -> None:
    with pytest.raises(InvalidTrade, match=reason):
        frames.parse_line(line, received_at=0)
