"""Parsing real recorded Binance frames and every kind of bad frame."""

import json
from collections import Counter
from pathlib import Path

import pytest

from coinpulse import binance_frames
from coinpulse.trade import InvalidTrade, Trade

pytestmark = pytest.mark.unit

RECORDING = Path(__file__).resolve().parents[1] / "data" / "binance_us_ws_recording.txt"


def recorded_frames() -> list[tuple[float, str]]:
    """(receive time, frame) per line; the header line names the stream URL."""
    frames = []
    for line in RECORDING.read_text().splitlines():
        stamp, sep, frame = line.partition(": ")
        if sep and stamp.replace(".", "", 1).isdigit():
            frames.append((float(stamp), frame))
    return frames


def test_recorded_stream_parses_aggtrades_and_rejects_other_events_with_reasons(
    recorded_pairs: list[str],
) -> None:
    trades: list[Trade] = []
    reasons: Counter[str] = Counter()
    for received, frame in recorded_frames():
        try:
            parsed = binance_frames.parse_frame(frame, int(received * 1000))
        except InvalidTrade as error:
            reasons[str(error)] += 1
        else:
            assert isinstance(parsed, Trade)
            trades.append(parsed)
    assert len(trades) == 11
    assert reasons == {
        "unknown event type 'depthUpdate'": 336,
        "unknown event type 'kline'": 5,
        "missing event type 'e'": 128,
    }
    first = trades[0]
    assert first.to_record() == {
        "symbol": "OMGBUSD",
        "coin_id": "omisego",
        "trade_id": 439577,
        "price": "13.80480000",
        "quantity": "2.10000000",
        "trade_time": 1633998288467,
        "event_time": 1633998288468,
        "is_buyer_maker": False,
        "received_at": 1633998288392,
        "source": "ws",
    }
    assert [trade.trade_id for trade in trades] == list(range(439577, 439588))


def test_trade_event_bare_and_enveloped_give_the_same_trade() -> None:
    payload = {
        "e": "trade",
        "E": 2,
        "s": "BTCUSDT",
        "t": 7,
        "p": "65000.10",
        "q": "0.5",
        "T": 1,
        "m": True,
        "M": True,
    }
    bare = binance_frames.parse_frame(json.dumps(payload), 3)
    enveloped = binance_frames.parse_frame(
        json.dumps({"stream": "btcusdt@trade", "data": payload}), 3
    )
    assert bare == enveloped
    assert isinstance(bare, Trade)
    assert (bare.coin_id, bare.price, bare.quantity, bare.is_buyer_maker) == (
        "bitcoin",
        "65000.10",
        "0.5",
        True,
    )


def test_server_shutdown_is_a_control_event() -> None:
    frame = json.dumps({"stream": "!serverShutdown", "data": {"e": "serverShutdown", "E": 99}})
    assert binance_frames.parse_frame(frame, 0) == binance_frames.ServerShutdown(99)


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        ("{not json", "invalid JSON"),
        ("[1, 2]", "frame is list, not an object"),
        ('{"e": "trade", "s": "BTCUSDT"}', "trade event missing field 't'"),
        (
            '{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"abc","q":"1","T":1,"m":true}',
            "price is not numeric",
        ),
        (
            '{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"0","q":"1","T":1,"m":true}',
            "price must be positive",
        ),
        (
            '{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"-5","q":"1","T":1,"m":true}',
            "price must be positive",
        ),
        (
            '{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"NaN","q":"1","T":1,"m":true}',
            "price is not numeric",
        ),
        (
            '{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":1.5,"q":"1","T":1,"m":true}',
            "price must be a decimal string",
        ),
        (
            '{"e":"trade","E":1,"s":"BTCUSDT","t":"1","p":"1","q":"1","T":1,"m":true}',
            "trade_id must be an integer",
        ),
        (
            '{"e":"trade","E":1,"s":"NOPEUSDT","t":1,"p":"1","q":"1","T":1,"m":true}',
            "unknown symbol",
        ),
        (
            '{"e":"aggTrade","E":1,"s":"BTCUSDT","a":5,"f":1,"l":3,"p":"1","q":"1","T":1,"m":true}',
            "aggregates trades 1..3",
        ),
        ('{"e":"outboundAccountPosition","E":1}', "unknown event type"),
    ],
)
def test_bad_frames_raise_with_a_readable_reason(frame: str, reason: str) -> None:
    with pytest.raises(InvalidTrade, match=reason.replace(".", r"\.")):
        binance_frames.parse_frame(frame, 0)


def test_rest_rows_become_rest_trades() -> None:
    row = {
        "id": 28457,
        "price": "4.00000100",
        "qty": "12.00000000",
        "quoteQty": "48.000012",
        "time": 1499865549590,
        "isBuyerMaker": True,
        "isBestMatch": True,
    }
    trade = binance_frames.parse_rest_trade("ETHUSDT", row, 5)
    assert (trade.trade_id, trade.trade_time, trade.event_time, trade.source) == (
        28457,
        1499865549590,
        None,
        "rest",
    )
    assert Trade.from_record(trade.to_record()) == trade
