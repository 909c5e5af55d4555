"""Trades as they travel through the pipeline: compact tuples, chunked per window.

A validated ``coinpulse.trade.Trade`` becomes a plain tuple (trade id, trade
time, price, quantity, is_buyer_maker): plain tuples of ints, strings and bools
are what Beam's coders encode fastest, and prices stay exact decimal strings.

Trades are grouped into chunks of one symbol and one event-time minute. A chunk
is one element whose timestamp is its earliest trade time, so a Pub/Sub message
of many trades costs one element per minute it touches instead of one per trade,
and window assignment is still exactly that of each trade's own trade_time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

from apache_beam.transforms.window import TimestampedValue

from beam_pipeline import capacity
from coinpulse import timefmt
from coinpulse.trade import InvalidTrade, Trade

WINDOW_SECONDS = 60  # the pipeline's event-time window: one minute
WINDOW_MS = WINDOW_SECONDS * 1000
# 2017-07-14T00:00:00Z: Binance opened for trading on 14 July 2017
# (binance.com/en/about); an earlier time is a unit error (seconds read as ms).
EARLIEST_TRADE_MS = 1_499_990_400_000
# Exclusive: the window of a trade at this time or later would end after the largest
# TIMESTAMP (microseconds read as milliseconds land there, in the year 55,000 and on).
LATEST_TRADE_MS = timefmt.MAX_TIMESTAMP_MS + 1 - WINDOW_MS

# (trade_id, trade_time ms, price, quantity, is_buyer_maker)
TradeTuple = tuple[int, int, str, str, bool]
Chunk = tuple[str, tuple[TradeTuple, ...]]  # (symbol, trades of one window)


def compact(trade: Trade) -> TradeTuple:
    """The fields windows need, as a tuple.

    Raises InvalidTrade for a trade time outside [EARLIEST_TRADE_MS, LATEST_TRADE_MS)
    and for a price or quantity a column it feeds could not store (``capacity``).
    """
    if not EARLIEST_TRADE_MS <= trade.trade_time < LATEST_TRADE_MS:
        raise InvalidTrade(
            f"trade_time {trade.trade_time} ms is outside [{EARLIEST_TRADE_MS}, "
            f"{LATEST_TRADE_MS}) (Binance's first trading day to the last minute of a "
            "TIMESTAMP); microseconds or seconds instead of milliseconds?"
        )
    capacity.check(trade.price, trade.quantity)
    return (trade.trade_id, trade.trade_time, trade.price, trade.quantity, trade.is_buyer_maker)


def window_start_ms(time_ms: int) -> int:
    """Start of the one-minute window that holds an instant (ms since epoch)."""
    return time_ms - time_ms % WINDOW_MS


def timestamped_chunk(symbol: str, trades: list[TradeTuple]) -> TimestampedValue[Chunk]:
    """Trades of one symbol-minute -> a chunk timestamped with its earliest trade time."""
    return TimestampedValue((symbol, tuple(trades)), min(trade[1] for trade in trades) / 1000)


def chunk_by_window(trades: Iterable[tuple[str, TradeTuple]]) -> Iterator[TimestampedValue[Chunk]]:
    """(symbol, trade) pairs -> one timestamped chunk per symbol and window."""
    chunks: defaultdict[tuple[str, int], list[TradeTuple]] = defaultdict(list)
    for symbol, trade in trades:
        chunks[symbol, window_start_ms(trade[1])].append(trade)
    for (symbol, _), chunk in chunks.items():
        yield timestamped_chunk(symbol, chunk)
