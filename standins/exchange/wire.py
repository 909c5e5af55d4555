"""What goes on the wire: Binance payloads as text, and WebSocket frames as bytes.

The send path is the hot path of the exchange, so payloads are formatted with
f-strings (the same bytes ``json.dumps`` would give, without building dicts) and
frames are encoded once per trade and handed to every subscriber as they are:
server-to-client frames are never masked (RFC 6455 section 5.1), so one encoding
fits all connections.
"""

from __future__ import annotations

from standins.exchange.market import GeneratedTrade, format_units

# RFC 6455 section 5.2: FIN bit plus opcode.
FIN_TEXT = 0x81
FIN_PING = 0x89
SHUTDOWN_STREAM = "!serverShutdown"  # web-socket-streams.md, serverShutdown event


def trade_payload(symbol: str, trade: GeneratedTrade) -> str:
    """The ``<symbol>@trade`` event, as Binance formats it (web-socket-streams.md)."""
    maker = "true" if trade.buyer_maker else "false"
    return (
        f'{{"e":"trade","E":{trade.event_time},"s":"{symbol}","t":{trade.trade_id},'
        f'"p":"{format_units(trade.price)}","q":"{format_units(trade.qty)}",'
        f'"T":{trade.trade_time},"m":{maker},"M":true}}'
    )


def shutdown_payload(event_ms: int) -> str:
    """The serverShutdown event: the server is about to close this connection."""
    return f'{{"e":"serverShutdown","E":{event_ms}}}'


def envelope(stream: str, payload: str) -> str:
    """A payload wrapped for the combined-stream endpoint: {"stream":...,"data":...}."""
    return f'{{"stream":"{stream}","data":{payload}}}'


def _frame(first_byte: int, data: bytes) -> bytes:
    """One unmasked WebSocket frame (RFC 6455 section 5.2 length encoding)."""
    size = len(data)
    if size < 126:
        return bytes((first_byte, size)) + data
    if size < 65_536:
        return bytes((first_byte, 126)) + size.to_bytes(2, "big") + data
    return bytes((first_byte, 127)) + size.to_bytes(8, "big") + data


def text_frame(text: str) -> bytes:
    """A final text frame carrying text."""
    return _frame(FIN_TEXT, text.encode())


def ping_frame(data: bytes) -> bytes:
    """A ping frame; control frames carry at most 125 bytes (RFC 6455 section 5.5)."""
    if len(data) > 125:
        raise ValueError("a ping carries at most 125 bytes")
    return _frame(FIN_PING, data)
