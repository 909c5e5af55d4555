"""The normalized trade record every stage shares.

A trade is identified by (symbol, trade_id): Binance trade ids are sequential per
pair, so the pair plus the id is a natural key that makes duplicates (connection
rotation, REST backfill, redelivery) exact to remove downstream. Prices and
quantities stay the exchange's decimal strings; nothing is ever parsed to float.
What a record may hold is what the tables can store: prices and quantities are
plain ASCII decimals above zero, ids are INT64 and not negative, times are INT64;
anything else raises InvalidTrade, whose message is the dead-letter reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from coinpulse import symbols

SOURCE_WS = "ws"  # live WebSocket frame
SOURCE_REST = "rest"  # REST backfill of a detected gap
SOURCE_ARCHIVE = "archive"  # Binance public trade archive CSV
SOURCE_RECORDING = "recording"  # file of recorded WebSocket frames

# Binance writes prices and quantities as ASCII digits with an optional fraction
# ("65000.10", "0.00100000"). Python's Decimal also accepts signs, exponents,
# underscores, surrounding blanks and non-ASCII digits; none of them is a price.
PLAIN_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")
# Ids and times are stored as BigQuery INT64
# (cloud.google.com/bigquery/docs/reference/standard-sql/data-types#integer_types).
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class InvalidTrade(ValueError):
    """Input that cannot become a trade; the message is the dead-letter reason."""


@dataclass(frozen=True, slots=True)
class Trade:
    symbol: str
    coin_id: str
    trade_id: int
    price: str
    quantity: str
    trade_time: int  # ms since epoch, when the match happened (event time)
    event_time: int | None  # ms since epoch, when the exchange sent the event (None for REST)
    is_buyer_maker: bool  # True: the buyer was the maker, so the taker sold
    received_at: int  # ms since epoch, when CoinPulse received it
    source: str = SOURCE_WS

    def to_record(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "coin_id": self.coin_id,
            "trade_id": self.trade_id,
            "price": self.price,
            "quantity": self.quantity,
            "trade_time": self.trade_time,
            "event_time": self.event_time,
            "is_buyer_maker": self.is_buyer_maker,
            "received_at": self.received_at,
            "source": self.source,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Trade:
        """Rebuild and re-validate a trade from its record. Raises InvalidTrade."""
        if not isinstance(record, dict):
            raise InvalidTrade(f"trade record is {type(record).__name__}, not an object")
        try:
            return build(
                pair=record["symbol"],
                trade_id=record["trade_id"],
                price=record["price"],
                quantity=record["quantity"],
                trade_time=record["trade_time"],
                event_time=record.get("event_time"),
                is_buyer_maker=record["is_buyer_maker"],
                received_at=record.get("received_at", 0),
                source=record.get("source", SOURCE_WS),
            )
        except KeyError as missing:
            raise InvalidTrade(f"missing field {missing.args[0]!r}") from None


def positive_decimal(value: object, field: str) -> str:
    """The value, if it is a plain ASCII decimal string above zero (PLAIN_DECIMAL)."""
    if not isinstance(value, str):
        raise InvalidTrade(f"{field} must be a decimal string, got {type(value).__name__}")
    digits = value.removeprefix("-")
    if PLAIN_DECIMAL.fullmatch(digits) is None:
        raise InvalidTrade(
            f"{field} is not numeric (a plain decimal of ASCII digits): {value[:40]!r}"
        )
    if digits != value or not digits.strip("0."):
        raise InvalidTrade(f"{field} must be positive: {value!r}")
    return value


def whole_number(value: object, field: str, minimum: int = INT64_MIN) -> int:
    """An integer field within [minimum, INT64_MAX] (bools are not integers here)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidTrade(f"{field} must be an integer, got {str(value)[:40]!r}")
    if not minimum <= value <= INT64_MAX:
        raise InvalidTrade(f"{field} {str(value)[:40]} is outside [{minimum}, {INT64_MAX}] (INT64)")
    return value


def build(
    *,
    pair: object,
    trade_id: object,
    price: object,
    quantity: object,
    trade_time: object,
    event_time: object,
    is_buyer_maker: object,
    received_at: int,
    source: str,
) -> Trade:
    """Validate raw fields into a Trade. Raises InvalidTrade with a readable reason."""
    if not isinstance(pair, str):
        raise InvalidTrade(f"symbol must be a string, got {pair!r}")
    coin_id = symbols.coin_id_for(pair)
    if coin_id is None:
        raise InvalidTrade(f"unknown symbol {pair!r}")
    if not isinstance(is_buyer_maker, bool):
        raise InvalidTrade(f"is_buyer_maker must be a boolean, got {is_buyer_maker!r}")
    return Trade(
        symbol=pair,
        coin_id=coin_id,
        trade_id=whole_number(trade_id, "trade_id", minimum=0),
        price=positive_decimal(price, "price"),
        quantity=positive_decimal(quantity, "quantity"),
        trade_time=whole_number(trade_time, "trade_time"),
        event_time=None if event_time is None else whole_number(event_time, "event_time"),
        is_buyer_maker=is_buyer_maker,
        received_at=received_at,
        source=source,
    )
