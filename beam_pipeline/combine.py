"""One CombineFn for a symbol-minute: exact dedupe, exact sums, open/close by trade time.

The accumulator keeps the window's trades in a dict keyed by trade id. A trade
that the relay published twice, or that Pub/Sub delivered twice, lands on the
same key however the copies are split across bundles, workers or panes, so the
merge is exact: merging running sums instead would count a duplicate twice when
its copies are added to different partial accumulators. A symbol-minute holds a
few thousand trades, so keeping them is cheap. Two different records that claim
the same trade id are resolved deterministically (the smaller tuple wins), never
by arrival order.

Exact quantities (sums of prices, squares, volumes, notionals) are computed with
``decimal.Decimal`` in a context that raises on any rounding; open and close are
the first and last trade by (trade_time, trade_id). The values that cannot be
exact (average, VWAP, population standard deviation) are derived from the exact
sums and rounded half-even to DERIVED_SCALE decimal places.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable
from decimal import Decimal
from typing import NamedTuple

import apache_beam as beam

from beam_pipeline.trades import TradeTuple

# Decimal places of avg_price, vwap and price_stddev; stream_prices.json declares
# them BIGNUMERIC(38, 12) (BigQuery parameterized BIGNUMERIC allows scale <= 38).
DERIVED_SCALE = 12
_QUANTUM = Decimal(1).scaleb(-DERIVED_SCALE)
# Exact arithmetic: unbounded precision, and any rounding raises decimal.Inexact.
_EXACT = decimal.Context(prec=decimal.MAX_PREC, traps=[decimal.Inexact, decimal.InvalidOperation])
# Division and square root for the derived values: 50 significant digits, then
# a half-even rounding to DERIVED_SCALE places.
_DERIVED = decimal.Context(prec=50, rounding=decimal.ROUND_HALF_EVEN)


class WindowTrades:
    """The accumulator: a window's distinct trades by id, and how many copies were dropped."""

    __slots__ = ("duplicates", "trades")

    def __init__(self) -> None:
        self.trades: dict[int, TradeTuple] = {}
        self.duplicates = 0

    def add(self, trades: Iterable[TradeTuple]) -> None:
        kept = self.trades
        for trade in trades:
            existing = kept.get(trade[0])
            if existing is None:
                kept[trade[0]] = trade
            else:
                self.duplicates += 1
                if trade < existing:
                    kept[trade[0]] = trade


class WindowStats(NamedTuple):
    """The figures of one window; exact values are Decimals, nothing is a float."""

    open_price: Decimal
    high_price: Decimal
    low_price: Decimal
    close_price: Decimal
    avg_price: Decimal
    price_stddev: Decimal
    vwap: Decimal
    trade_count: int
    base_volume: Decimal
    quote_volume: Decimal
    taker_buy_base_volume: Decimal
    taker_buy_quote_volume: Decimal
    price_sum: Decimal
    price_sq_sum: Decimal
    first_trade_id: int
    first_trade_time: int
    last_trade_id: int
    last_trade_time: int
    duplicates_dropped: int


def window_stats(accumulator: WindowTrades) -> WindowStats:
    """The figures of a non-empty set of distinct trades, in one pass."""
    trades = accumulator.trades.values()
    first = last = next(iter(trades))
    with decimal.localcontext(_EXACT):
        high = low = Decimal(first[2])
        price_sum = price_sq_sum = base = quote = taker_base = taker_quote = Decimal(0)
        for trade in trades:
            price, quantity = Decimal(trade[2]), Decimal(trade[3])
            notional = price * quantity
            price_sum += price
            price_sq_sum += price * price
            base += quantity
            quote += notional
            if not trade[4]:
                taker_base += quantity
                taker_quote += notional
            if price > high:
                high = price
            elif price < low:
                low = price
            if (trade[1], trade[0]) < (first[1], first[0]):
                first = trade
            elif (trade[1], trade[0]) > (last[1], last[0]):
                last = trade
        count = len(trades)
        scaled_variance = count * price_sq_sum - price_sum * price_sum  # n^2 * variance
    with decimal.localcontext(_DERIVED):
        variance = scaled_variance / (count * count)
        stddev = variance.sqrt() if variance > 0 else Decimal(0)
        return WindowStats(
            open_price=Decimal(first[2]),
            high_price=high,
            low_price=low,
            close_price=Decimal(last[2]),
            avg_price=(price_sum / count).quantize(_QUANTUM),
            price_stddev=stddev.quantize(_QUANTUM),
            vwap=(quote / base).quantize(_QUANTUM),
            trade_count=count,
            base_volume=base,
            quote_volume=quote,
            taker_buy_base_volume=taker_base,
            taker_buy_quote_volume=taker_quote,
            price_sum=price_sum,
            price_sq_sum=price_sq_sum,
            first_trade_id=first[0],
            first_trade_time=first[1],
            last_trade_id=last[0],
            last_trade_time=last[1],
            duplicates_dropped=accumulator.duplicates,
        )


class WindowStatsFn(beam.CombineFn):
    """Chunks of (trade tuples) -> WindowStats, deduplicated by trade id."""

    def create_accumulator(self) -> WindowTrades:
        return WindowTrades()

    def add_input(self, accumulator: WindowTrades, chunk: tuple[TradeTuple, ...]) -> WindowTrades:
        accumulator.add(chunk)
        return accumulator

    def merge_accumulators(self, accumulators: Iterable[WindowTrades]) -> WindowTrades:
        ordered = sorted(accumulators, key=lambda acc: len(acc.trades), reverse=True)
        merged = ordered[0]
        for other in ordered[1:]:
            merged.duplicates += other.duplicates
            merged.add(other.trades.values())
        return merged

    def extract_output(self, accumulator: WindowTrades) -> WindowStats:
        return window_stats(accumulator)
