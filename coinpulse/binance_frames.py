"""Binance market-data payloads -> trades.

Understands what the relay and the backfill meet:
- WebSocket frames, bare (``{"e":"trade",...}``) or in the combined-stream envelope
  (``{"stream":"btcusdt@trade","data":{...}}``);
- ``trade`` events, and ``aggTrade`` events that hold exactly one trade (f == l; the
  trade id is then ``f``, the same id space as ``trade``). An aggregate of several
  trades cannot be split into trades and is rejected with that reason;
- the ``serverShutdown`` control event;
- rows of ``GET /api/v3/historicalTrades`` (the REST gap backfill).

Anything else raises InvalidTrade whose message is the dead-letter reason.
Source: binance-spot-api-docs web-socket-streams.md and rest-api.md (2026-07).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coinpulse import jsontext
from coinpulse.trade import SOURCE_REST, SOURCE_WS, InvalidTrade, Trade, build

SERVER_SHUTDOWN = "serverShutdown"


@dataclass(frozen=True, slots=True)
class ServerShutdown:
    """Binance announced it will close this connection soon: reconnect now."""

    event_time: int | None


def decode(raw: str | bytes) -> Any:
    """JSON text -> object. Raises InvalidTrade('invalid JSON ...'), also when nested too deeply."""
    try:
        return jsontext.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidTrade(f"invalid JSON: {error}") from None


def parse_payload(
    payload: Any, received_at: int, source: str = SOURCE_WS
) -> Trade | ServerShutdown:
    """A decoded frame (enveloped or bare) -> Trade or ServerShutdown. Raises InvalidTrade."""
    if isinstance(payload, dict) and "data" in payload and "stream" in payload:
        payload = payload["data"]
    if not isinstance(payload, dict):
        raise InvalidTrade(f"frame is {type(payload).__name__}, not an object")
    event = payload.get("e")
    try:
        if event == "trade":
            trade_id = payload["t"]
        elif event == "aggTrade":
            first, last = payload["f"], payload["l"]
            if first != last:
                raise InvalidTrade(
                    f"aggTrade {payload.get('a')} aggregates trades {first}..{last}; "
                    "only single-trade aggregates can be split, subscribe to @trade"
                )
            trade_id = first
        elif event == SERVER_SHUTDOWN:
            return ServerShutdown(payload.get("E"))
        elif event is None:
            raise InvalidTrade("missing event type 'e'")
        else:
            raise InvalidTrade(f"unknown event type {event!r}")
        return build(
            pair=payload["s"],
            trade_id=trade_id,
            price=payload["p"],
            quantity=payload["q"],
            trade_time=payload["T"],
            event_time=payload["E"],
            is_buyer_maker=payload["m"],
            received_at=received_at,
            source=source,
        )
    except KeyError as missing:
        raise InvalidTrade(f"{event} event missing field {missing.args[0]!r}") from None


def parse_frame(raw: str | bytes, received_at: int) -> Trade | ServerShutdown:
    """One raw WebSocket text frame -> Trade or ServerShutdown. Raises InvalidTrade."""
    return parse_payload(decode(raw), received_at)


def parse_rest_trade(pair: str, row: Any, received_at: int) -> Trade:
    """One row of GET /api/v3/historicalTrades -> Trade. Raises InvalidTrade."""
    if not isinstance(row, dict):
        raise InvalidTrade(f"REST trade row is {type(row).__name__}, not an object")
    try:
        return build(
            pair=pair,
            trade_id=row["id"],
            price=row["price"],
            quantity=row["qty"],
            trade_time=row["time"],
            event_time=None,
            is_buyer_maker=row["isBuyerMaker"],
            received_at=received_at,
            source=SOURCE_REST,
        )
    except KeyError as missing:
        raise InvalidTrade(f"REST trade row missing field {missing.args[0]!r}") from None


def trade_stream(pair: str) -> str:
    """The combined-stream name of a pair's trade stream, e.g. btcusdt@trade."""
    return f"{pair.lower()}@trade"
