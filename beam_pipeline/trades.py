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

from coinpulse.trade import InvalidTrade, Trade

# Binance quotes prices and quantities with at most 8 decimal places; with that
# bound every exact sum fits the scales declared in stream_prices.json (9 for
# prices and volumes, 16 for products of two such values).
MAX_DECIMAL_PLACES = 8
WINDOW_SECONDS = 60  # the pipeline's event-time window: one minute
WINDOW_MS = WINDOW_SECONDS * 1000

# (trade_id, trade_time ms, price, quantity, is_buyer_maker)
TradeTuple = tuple[int, int, str, str, bool]
Chunk = tuple[str, tuple[TradeTuple, ...]]  # (symbol, trades of one window)


def compact(trade: Trade) -> TradeTuple:
    """The fields windows need, as a tuple. Raises InvalidTrade beyond 8 decimal places."""
    for field, value in (("price", trade.price), ("quantity", trade.quantity)):
        _, _, decimals = value.partition(".")
        if len(decimals.rstrip("0")) > MAX_DECIMAL_PLACES or "e" in value.lower():
            raise InvalidTrade(
                f"{field} {value!r} has more than {MAX_DECIMAL_PLACES} decimal places "
                "(or an exponent); CoinPulse keeps Binance's precision"
            )
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
