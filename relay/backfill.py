"""Gap backfill over REST: what the live stream missed, fetched by trade id.

Two kinds of work, both paced by the REST client's weight budget:
- a due gap [low, high] (a jump in a pair's trade ids that reordered frames did not
  close within the grace period) is fetched page by page; ids below the first row the
  exchange still serves are given up and counted, never waited for forever;
- after every (re)connect, everything after the last id seen is fetched, so trades
  missed just before a drop are found without waiting for the pair's next trade.

Fetched trades go through the relay's normal path (continuity, batching, publish),
so a trade that also arrives live is a duplicate with the same id, never a loss.

What can fail, and what happens then:
- a piece of a gap still missing after a pass (a row was dead-lettered, the pass was
  interrupted) is fetched again after a growing delay, up to ``max_attempts`` passes;
- a permanent refusal (RestRejected: 400, 401, 403, 404, ...) ends the gap at once;
- an ended gap is dead-lettered as ``{"symbol", "missing_ids", "attempts"}`` with the
  reason, counted in ``gaps_abandoned`` / ``gap_trades_abandoned``, and no longer
  holds the checkpoint back. Transient answers are retried inside the REST client.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from coinpulse import binance_frames, logs
from coinpulse.trade import InvalidTrade, Trade
from relay.gaps import Gap, GapTracker
from relay.rest import HISTORICAL_TRADES_MAX_LIMIT, HistoricalTrades, RestRejected
from relay.stats import RelayStats

log = logging.getLogger(__name__)

POLL_EVERY = 0.25  # s between looks for due gaps and catch-ups
RETRY_INITIAL = 1.0  # s before a gap's leftover piece is fetched again; doubles per pass
RETRY_CAP = 60.0  # s, longest wait between passes over the same piece
MAX_ATTEMPTS = 6  # passes over a piece before it is abandoned (waits 1+2+4+8+16 s, ~half a minute)
ABANDONED = "backfill abandoned"  # dead-letter reason prefix, the key in /stats dead_letters

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
        retry_initial: float = RETRY_INITIAL,
        max_attempts: int = MAX_ATTEMPTS,
    ):
        self._rest = rest
        self._trackers = trackers
        self._stats = stats
        self._accept = accept
        self._dead_letter = dead_letter
        self._grace = grace
        self._retry_initial = retry_initial
        self._max_attempts = max_attempts
        self._catch_up: set[str] = set()

    def on_connected(self, pairs: list[str]) -> None:
        """A shard (re)connected: catch its pairs up from their last id (if any)."""
        self._catch_up.update(pair for pair in pairs if self._trackers[pair].last is not None)

    async def run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            await asyncio.sleep(POLL_EVERY)
            while self._catch_up:
                await self._catch_up_pair(self._catch_up.pop(), stopping)
            now = time.monotonic()
            for pair, tracker in self._trackers.items():
                for gap in tracker.due(now, self._grace):
                    await self._backfill_gap(pair, gap.low, gap.high, stopping)

    async def _catch_up_pair(self, pair: str, stopping: asyncio.Event) -> None:
        """Everything after the pair's last id; a refusal only costs this catch-up."""
        tracker = self._trackers[pair]
        cursor = (tracker.last or 0) + 1
        try:
            while not stopping.is_set():
                rows = await self._rest.fetch(pair, cursor, HISTORICAL_TRADES_MAX_LIMIT)
                for trade in await self._parse(pair, rows):
                    await self._accept(trade)
                last_served = max(_served_ids(rows), default=cursor - 1)
                if len(rows) < HISTORICAL_TRADES_MAX_LIMIT or last_served < cursor:
                    return
                cursor = last_served + 1
        except RestRejected as error:
            log.error("catch-up refused", extra=logs.fields(pair=pair, error=str(error)))
        except BaseException:
            self._catch_up.add(pair)  # interrupted: do it again
            raise

    async def _backfill_gap(self, pair: str, low: int, high: int, stopping: asyncio.Event) -> None:
        """One pass over a claimed gap; whatever is left of it is released or abandoned."""
        tracker = self._trackers[pair]
        try:
            refusal = await self._fetch_span(pair, tracker, low, high, stopping)
        except BaseException:
            self._retry_later(tracker.within(low, high))
            raise
        left = tracker.within(low, high)
        if not left:
            self._stats.gaps_filled += 1
            log.info("gap filled", extra=logs.fields(pair=pair, low=low, high=high))
            return
        if refusal is not None:
            await self._abandon(pair, tracker, left, refusal)
            return
        exhausted = [gap for gap in left if gap.attempts + 1 >= self._max_attempts]
        self._retry_later([gap for gap in left if gap not in exhausted])
        if exhausted:
            reason = f"still missing after {self._max_attempts} backfill passes"
            await self._abandon(pair, tracker, exhausted, reason)

    async def _fetch_span(
        self, pair: str, tracker: GapTracker, low: int, high: int, stopping: asyncio.Event
    ) -> str | None:
        """Fetch [low, high] page by page; returns the reason of a permanent refusal."""
        cursor = low
        while not stopping.is_set() and cursor <= high:
            try:
                rows = await self._rest.fetch(pair, cursor, high - cursor + 1)
            except RestRejected as error:
                log.error("backfill refused", extra=logs.fields(pair=pair, error=str(error)))
                return str(error)
            trades = await self._parse(pair, rows)
            served = _served_ids(rows)
            first_served = min(served, default=high + 1)
            if first_served > cursor:
                self._give_up(pair, tracker, cursor, min(first_served - 1, high))
            for trade in trades:
                if cursor <= trade.trade_id <= high:
                    await self._accept(trade)
            next_cursor = max(served, default=high) + 1
            if next_cursor <= cursor:  # the answer did not move forward: end this pass
                break
            cursor = next_cursor
        return None

    def _retry_later(self, gaps: list[Gap]) -> None:
        now = time.monotonic()
        for gap in gaps:
            delay = min(RETRY_CAP, self._retry_initial * 2**gap.attempts)
            gap.retry_after(now + delay)

    async def _abandon(self, pair: str, tracker: GapTracker, gaps: list[Gap], reason: str) -> None:
        """End these pieces: dead-letter which ids could not be filled and why, count them."""
        attempts = max(gap.attempts for gap in gaps) + 1
        missing = [[gap.low, gap.high] for gap in gaps]
        trades = sum(tracker.give_up(gap.low, gap.high) for gap in gaps)
        self._stats.gaps_abandoned += len(gaps)
        self._stats.gap_trades_abandoned += trades
        log.error(
            "gap abandoned",
            extra=logs.fields(pair=pair, missing_ids=missing, trades=trades, reason=reason),
        )
        record = {"symbol": pair, "missing_ids": missing, "attempts": attempts}
        await self._dead_letter(f"{ABANDONED}: {reason}", json.dumps(record), _now_ms())

    async def _parse(self, pair: str, rows: list[dict[str, Any]]) -> list[Trade]:
        received_at = _now_ms()
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


def _served_ids(rows: list[Any]) -> list[int]:
    """The ids of the rows the exchange answered, valid trades or not."""
    return [
        row["id"]
        for row in rows
        if isinstance(row, dict)
        and isinstance(row.get("id"), int)
        and not isinstance(row["id"], bool)
    ]


def _now_ms() -> int:
    return int(time.time() * 1000)
