"""What one trade may hold: every column it feeds must be able to store the result.

The bounds are read from the table schemas (``coinpulse/schemas``), not restated:
a NUMERIC or BIGNUMERIC(P, S) column stores a value exactly when it has at most S
decimal places and an absolute value below 10^(P - S). A trade feeds its price and
quantity into ``late_trades`` and into a window's prices, and its price, quantity,
price² and price * quantity into the window's exact sums, which add up to
MAX_TRADES_PER_WINDOW trades. The derived columns (avg_price, vwap, price_stddev)
lie between the lowest and highest price and are rounded to their scale, so only
their magnitude is bounded. (Trade times are bounded in ``beam_pipeline.trades``.)

``check`` raises InvalidTrade, whose message is the dead-letter reason; nothing is
retried, the trade is rejected.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from decimal import Decimal

from coinpulse import schemas
from coinpulse.trade import InvalidTrade

# A window's sums must hold this many trades at the per-trade bound. Binance's
# busiest pairs trade a few hundred thousand times in their busiest minutes; a
# million in one symbol-minute (16,700 a second) leaves a wide margin.
MAX_TRADES_PER_WINDOW = 10**6
_EXACT = decimal.Context(prec=decimal.MAX_PREC, traps=[decimal.Inexact, decimal.InvalidOperation])

PRICE, QUANTITY, SQUARE, NOTIONAL = "price", "quantity", "price²", "price * quantity"
# (table, column, what one trade puts in it, added up over the window, kept exactly)
FEEDS = (
    ("late_trades", "price", PRICE, False, True),
    ("late_trades", "quantity", QUANTITY, False, True),
    ("stream_prices", "open_price", PRICE, False, True),
    ("stream_prices", "high_price", PRICE, False, True),
    ("stream_prices", "low_price", PRICE, False, True),
    ("stream_prices", "close_price", PRICE, False, True),
    ("stream_prices", "avg_price", PRICE, False, False),
    ("stream_prices", "vwap", PRICE, False, False),
    ("stream_prices", "price_stddev", PRICE, False, False),
    ("stream_prices", "price_sum", PRICE, True, True),
    ("stream_prices", "price_sq_sum", SQUARE, True, True),
    ("stream_prices", "base_volume", QUANTITY, True, True),
    ("stream_prices", "taker_buy_base_volume", QUANTITY, True, True),
    ("stream_prices", "quote_volume", NOTIONAL, True, True),
    ("stream_prices", "taker_buy_quote_volume", NOTIONAL, True, True),
)


@dataclass(frozen=True, slots=True)
class Bound:
    """One trade's share of a column: below ``limit``, with at most ``places`` decimals."""

    column: str  # table.column, for the reason
    value: str  # PRICE, QUANTITY, SQUARE or NOTIONAL
    limit: Decimal
    places: int | None  # None: the column rounds (derived values)


def _bound(table: str, column: str, value: str, summed: bool, exact: bool) -> Bound:
    field = next(f for f in schemas.fields(table) if f["name"] == column)
    precision, scale = int(field["precision"]), int(field["scale"])
    limit = Decimal(10) ** (precision - scale)
    if summed:
        limit /= MAX_TRADES_PER_WINDOW
    return Bound(f"{table}.{column}", value, limit, scale if exact else None)


BOUNDS = tuple(_bound(*feed) for feed in FEEDS)


def check(price: str, quantity: str) -> None:
    """Raise InvalidTrade unless every column this trade feeds can store what it adds."""
    with decimal.localcontext(_EXACT):
        p, q = Decimal(price), Decimal(quantity)
        values = {PRICE: p, QUANTITY: q, SQUARE: p * p, NOTIONAL: p * q}
    for bound in BOUNDS:
        value = values[bound.value]
        if value >= bound.limit:
            raise InvalidTrade(
                f"{bound.value} {value} is too large for {bound.column} "
                f"(below {bound.limit} per trade)"
            )
        places = -value.normalize().as_tuple().exponent  # type: ignore[operator]
        if bound.places is not None and places > bound.places:
            raise InvalidTrade(
                f"{bound.value} {value} has {places} decimal places; {bound.column} keeps "
                f"{bound.places}"
            )
