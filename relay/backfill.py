"""Gap backfill over REST: what the live stream missed, fetched by trade id.

Two kinds of work, both paced by the REST client's weight budget:
- a due gap [low, high] (a jump in a pair's trade ids that reordered frames did not
  close within the grace period) is fetched page by page; ids inside it that the
  exchange no longer serves are given up and counted, never waited for forever;
- after every (re)connect, everything after the last id seen is fetched, so trades
  missed just before a drop are found without waiting for the pair's next trade.

Fetched trades go through the relay's normal path (continuity, batching, publish),
so a trade that also arrives live is a duplicate with the same id, never a loss.
A refused request (4xx) leaves the gap open for a later attempt.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from coinpulse import binance_frames, logs
from coinpulse.trade import InvalidTrade, Trade
from relay.gaps import GapTracker
from relay.rest import HISTORICAL_TRADES_MAX_LIMIT, HistoricalTrades, RestRejected
from relay.stats import RelayStats

log = logging.getLogger(__name__)

POLL_EVERY = 0.25  # s between looks for due gaps and catch-ups

Accept = Callable[[Trade], Awaitable[None]]
DeadLetter = Callable[[str, str, int], Awaitable[None]]


class Backfiller:
    def __init__(
        self,
        rest: HistoricalTrades,
        trackers: dict[str, GapTracker],
        stats: RelayStats,
        *,
        accept: Accept,
        dead_letter: DeadLetter,
        grace: float,
    ):
        self._rest = rest
        self._trackers = trackers
        self._stats = stats
        self._accept = accept
        self._dead_letter = dead_letter
        self._grace = grace
        self._catch_up: set[str] = set()

    def on_connected(self, pairs: list[str]) -> None:
        """A shard (re)connected: catch its pairs up from their last id (if any)."""
        self._catch_up.update(pair for pair in pairs if self._trackers[pair].last is not None)

    async def run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            await asyncio.sleep(POLL_EVERY)
            while self._catch_up:
                await self._fetch(self._catch_up.pop(), None, stopping)
            now = time.monotonic()
            for pair, tracker in self._trackers.items():
                for gap in tracker.due(now, self._grace):
                    await self._fetch(pair, (gap.low, gap.high), stopping)

    async def _fetch(
        self, pair: str, span: tuple[int, int] | None, stopping: asyncio.Event
    ) -> None:
        """Fetch a gap [low, high], or (span None) everything after the pair's last id."""
        tracker = self._trackers[pair]
        low, high = span if span else ((tracker.last or 0) + 1, None)
        cursor = low
        while not stopping.is_set() and (high is None or cursor <= high):
            limit = HISTORICAL_TRADES_MAX_LIMIT if high is None else high - cursor + 1
            try:
                rows = await self._rest.fetch(pair, cursor, limit)
            except RestRejected as error:
                log.error(
                    "backfill refused; will retry later",
                    extra=logs.fields(pair=pair, error=str(error)),
                )
                tracker.release(cursor, high if high is not None else cursor)
                return
            trades = await self._parse(pair, rows)
            wanted = [
                t for t in trades if t.trade_id >= cursor and (high is None or t.trade_id <= high)
            ]
            if high is not None:
                first_id = wanted[0].trade_id if wanted else high + 1
                if first_id > cursor:
                    self._give_up(pair, tracker, cursor, first_id - 1)
            for trade in wanted:
                await self._accept(trade)
            if high is None and len(rows) < HISTORICAL_TRADES_MAX_LIMIT:
                return
            cursor = wanted[-1].trade_id + 1 if wanted else (high or cursor) + 1
        if high is not None and not tracker.open_within(low, high):
            self._stats.gaps_filled += 1
            log.info("gap filled", extra=logs.fields(pair=pair, low=low, high=high))

    async def _parse(self, pair: str, rows: list[dict[str, Any]]) -> list[Trade]:
        received_at = int(time.time() * 1000)
        trades: list[Trade] = []
        for row in rows:
            try:
                trades.append(binance_frames.parse_rest_trade(pair, row, received_at))
            except InvalidTrade as error:
                await self._dead_letter(str(error), str(row), received_at)
        return trades

    def _give_up(self, pair: str, tracker: GapTracker, low: int, high: int) -> None:
        abandoned = tracker.give_up(low, high)
        if abandoned:
            self._stats.gap_trades_unavailable += abandoned
            log.warning(
                "exchange no longer has these trades",
                extra=logs.fields(pair=pair, low=low, high=high, trades=abandoned),
            )
