"""Files of recorded WebSocket frames: one frame per line -> trades.

A line is a frame in the combined-stream envelope or a bare payload, optionally
prefixed by its receive time in seconds (``1633998274.72: {...}``, as in the
recording in tests/data/binance_us_ws_recording.txt). A recording may start with the
stream URL it was taken from. Frames of other streams (depth, kline, bookTicker,
tickers) and the serverShutdown control event are not trades: they are skipped
and counted by kind, not dead-lettered. Everything else goes through
``coinpulse.binance_frames.parse_payload``.
"""

from __future__ import annotations

from coinpulse.binance_frames import SERVER_SHUTDOWN, decode, parse_payload
from coinpulse.trade import SOURCE_RECORDING, InvalidTrade, Trade

TRADE_EVENTS = ("trade", "aggTrade")


def parse_line(line: str, received_at: int) -> Trade | str:
    """A line -> Trade, or the kind of line skipped. Raises InvalidTrade with the reason.

    ``received_at`` is used when the line has no receive-time prefix.
    """
    text = line.strip()
    if not text:
        return "blank"
    if text.startswith(("wss://", "ws://")):
        return "recording_header"
    if not text.startswith(("{", "[")):
        prefix, _, text = text.partition(":")
        try:
            received_at = round(float(prefix) * 1000)
        except ValueError:
            raise InvalidTrade(
                f"line is neither JSON nor '<receive time>: <frame>': {prefix[:40]!r}"
            ) from None
    payload = decode(text)
    skipped = _non_trade_kind(payload)
    if skipped:
        return skipped
    parsed = parse_payload(payload, received_at, SOURCE_RECORDING)
    if not isinstance(parsed, Trade):
        return SERVER_SHUTDOWN
    return parsed


def _non_trade_kind(payload: object) -> str | None:
    """The stream or event kind of a frame that is not a trade, else None."""
    if not isinstance(payload, dict):
        return None
    stream = payload.get("stream")
    if isinstance(stream, str) and "data" in payload:
        channel = stream.partition("@")[2]
        return None if channel in TRADE_EVENTS else channel.partition("@")[0] or "unnamed_stream"
    event = payload.get("e")
    if isinstance(event, str) and event not in TRADE_EVENTS and event != SERVER_SHUTDOWN:
        return event
    return None
