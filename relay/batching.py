"""Per-pair trade batches: one Pub/Sub message carries up to N trades of one pair.

Why batches: the local Beam Pub/Sub reader pulls 10 messages per bundle (about 550
messages/s here, toolchain.md), and Pub/Sub bills at least 1,000 bytes per request
(cloud.google.com/pubsub/pricing); one ~230-byte trade per message would cap local
streaming near 550 trades/s and multiply per-message overhead. A batch closes when
it holds ``max_trades`` trades or its oldest trade has waited ``max_delay`` seconds,
so a quiet pair still publishes within ``max_delay``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from coinpulse.trade import Trade

DEFAULT_MAX_TRADES = 100  # ~23 KB per message, far below Pub/Sub's 10 MB message limit
DEFAULT_MAX_DELAY = 0.05  # s; added latency at low rates, negligible next to 1-minute windows


@dataclass
class Batch:
    symbol: str
    trades: list[Trade] = field(default_factory=list)
    received: list[float] = field(default_factory=list)  # monotonic receive time per trade

    @property
    def min_trade_id(self) -> int:
        return min(trade.trade_id for trade in self.trades)


class Batcher:
    def __init__(self, max_trades: int = DEFAULT_MAX_TRADES, max_delay: float = DEFAULT_MAX_DELAY):
        if max_trades < 1 or max_delay <= 0:
            raise ValueError("batches need max_trades >= 1 and max_delay > 0")
        self.max_trades = max_trades
        self.max_delay = max_delay
        self._open: dict[str, Batch] = {}

    def add(self, trade: Trade, received: float) -> Batch | None:
        """Add a trade; returns the batch if this trade filled it."""
        batch = self._open.get(trade.symbol)
        if batch is None:
            batch = self._open[trade.symbol] = Batch(trade.symbol)
        batch.trades.append(trade)
        batch.received.append(received)
        if len(batch.trades) >= self.max_trades:
            del self._open[trade.symbol]
            return batch
        return None

    def next_expired(self, now: float) -> Batch | None:
        """The oldest batch whose first trade has waited max_delay, closed; None if none.

        One at a time, so that a batch stays open (and counts as pending) while the
        one before it waits for room in the sink.
        """
        ready = [b for b in self._open.values() if now - b.received[0] >= self.max_delay]
        if not ready:
            return None
        batch = min(ready, key=lambda b: b.received[0])
        del self._open[batch.symbol]
        return batch

    def drain(self) -> list[Batch]:
        """Close every open batch (shutdown)."""
        batches = list(self._open.values())
        self._open.clear()
        return batches

    def pending_min_id(self, symbol: str) -> int | None:
        batch = self._open.get(symbol)
        return batch.min_trade_id if batch else None
