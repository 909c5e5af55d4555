"""The relay service: frames in, batched trade messages out, nothing lost.

Flow per frame: parse (bad frames -> dead-letter sink with the reason) -> trade-id
continuity per pair (a jump opens a gap) -> per-pair batch -> sink. Background
tasks close batches on time, publish heartbeats while idle, backfill gaps over REST
(relay.backfill) and save the checkpoint; relay.publishing re-submits messages whose
publish failed.

Exactly what is promised: every trade reaches the sink at least once (the
checkpoint only advances over acknowledged trades, gaps are backfilled, failed
publishes are retried forever); duplicates always carry the same trade id.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from dataclasses import dataclass

import aiohttp

from coinpulse import binance_frames, logs, messages
from coinpulse.trade import SOURCE_REST, InvalidTrade, Trade
from relay import batching
from relay.backfill import Backfiller
from relay.checkpoint import CheckpointStore, NoCheckpoint, Positions, keep_saving
from relay.feed import (
    DEFAULT_ROTATE_AFTER,
    MAX_STREAMS_PER_CONNECTION,
    ShardFeed,
    shard,
)
from relay.gaps import GapTracker
from relay.publishing import Outbound, Publisher
from relay.rest import DEFAULT_WEIGHT_BUDGET, HistoricalTrades
from relay.sinks import Sink
from relay.stats import RelayStats
from relay.supervision import Supervisor

log = logging.getLogger(__name__)

DEAD_LETTER_STAGE = "relay"
SHUTDOWN_GRACE = 8.0  # s to flush; Cloud Run sends SIGKILL 10 s after SIGTERM
BATCH_TICK = 0.01  # s between checks for batches that waited long enough


@dataclass
class RelaySettings:
    pairs: list[str]
    ws_url: str
    rest_url: str
    rotate_after: float = DEFAULT_ROTATE_AFTER
    max_streams_per_connection: int = MAX_STREAMS_PER_CONNECTION
    batch_max_trades: int = batching.DEFAULT_MAX_TRADES
    batch_max_delay: float = batching.DEFAULT_MAX_DELAY
    heartbeat_every: float = 5.0  # s of silence before a heartbeat message; 0 disables
    gap_grace: float = 2.0  # s a gap may wait for reordered frames before REST backfill
    rest_weight_budget: int = DEFAULT_WEIGHT_BUDGET
    api_key: str | None = None


class Relay:
    def __init__(
        self, settings: RelaySettings, sink: Sink, dead_letters: Sink, checkpoint: CheckpointStore
    ):
        self.settings = settings
        self.sink = sink
        self.dead_letters = dead_letters
        self.checkpoint = checkpoint
        self.stats = RelayStats()
        self.stopping = asyncio.Event()
        self.trackers: dict[str, GapTracker] = {pair: GapTracker() for pair in settings.pairs}
        self._batcher = batching.Batcher(settings.batch_max_trades, settings.batch_max_delay)
        self._publisher = Publisher(self.stats, settings.pairs)
        self._supervisor = Supervisor(self.stats, self.stopping)

    @property
    def failed(self) -> str | None:
        """The background task that could not continue, if one did (the relay then stops)."""
        return self._supervisor.failed

    # ---------- frames and trades

    async def on_frame(self, raw: str, received_at: int) -> bool:
        """Handle one text frame; True when it announced a server shutdown."""
        self.stats.frames_in += 1
        self.stats.last_frame_at = time.time()
        try:
            parsed = binance_frames.parse_frame(raw, received_at)
        except InvalidTrade as error:
            await self.dead_letter(str(error), raw, received_at)
            return False
        if isinstance(parsed, binance_frames.ServerShutdown):
            return True
        await self.accept(parsed)
        return False

    async def accept(self, trade: Trade) -> None:
        tracker = self.trackers.get(trade.symbol)
        if tracker is None:
            await self.dead_letter(
                f"pair {trade.symbol} is not subscribed", str(trade.to_record()), trade.received_at
            )
            return
        is_new, gap = tracker.observe(trade.trade_id, time.monotonic())
        self.stats.trades_received += 1
        if not is_new:
            self.stats.duplicates_received += 1
        elif trade.source == SOURCE_REST:
            self.stats.trades_backfilled += 1
        if gap is not None:
            self.stats.gaps_found += 1
            log.info(
                "gap detected",
                extra=logs.fields(pair=trade.symbol, low=gap.low, high=gap.high, size=gap.size),
            )
        full = self._batcher.add(trade, time.monotonic())
        if full is not None:
            await self._publisher.publish_batch(full, self.sink)

    async def dead_letter(self, reason: str, raw: str, received_at: int) -> None:
        self.stats.dead_letters[reason.split(":", maxsplit=1)[0]] += 1
        body, attributes = messages.encode_dead_letter(
            DEAD_LETTER_STAGE, reason, raw, self.settings.ws_url, received_at
        )
        await self._publisher.submit(Outbound(body, attributes), self.dead_letters)

    async def _flush_loop(self) -> None:
        heartbeat = self.settings.heartbeat_every
        while not self.stopping.is_set():
            await asyncio.sleep(BATCH_TICK)
            now = time.monotonic()
            while (batch := self._batcher.next_expired(now)) is not None:
                await self._publisher.publish_batch(batch, self.sink)
            if heartbeat and now - self._publisher.last_publish >= heartbeat:
                body, attributes = messages.encode_heartbeat(int(time.time() * 1000))
                await self._publisher.submit(Outbound(body, attributes), self.sink)

    # ---------- checkpoint

    def positions(self) -> Positions:
        """Per pair, the highest id up to which every trade is acknowledged.

        A trade holds it back from the moment it is seen until its publish is
        acknowledged: in a gap, in an open batch, in a closed batch waiting for room in
        the sink, in a message awaiting its acknowledgement or its retry.
        """
        positions: Positions = {}
        for pair, tracker in self.trackers.items():
            through = tracker.contiguous_through()
            if through is None:
                continue
            unacked = self._publisher.unacknowledged(pair)
            pending = self._batcher.pending_min_id(pair)
            if pending is not None:
                unacked.append(pending)
            positions[pair] = min([through, *(low - 1 for low in unacked)])
        return positions

    # ---------- lifecycle

    def resume(self) -> None:
        """Continue each pair from its checkpoint; warns when nothing was saved there."""
        saved = self.checkpoint.load()
        if not saved and not isinstance(self.checkpoint, NoCheckpoint):
            log.warning(
                "nothing saved at the checkpoint: starting from the live stream",
                extra=logs.fields(checkpoint=self.checkpoint.location),
            )
        for pair, trade_id in saved.items():
            if pair in self.trackers:
                self.trackers[pair].last = trade_id
                log.info(
                    "resuming from checkpoint", extra=logs.fields(pair=pair, trade_id=trade_id)
                )

    async def run(self) -> None:
        """Run until ``stopping`` is set, then flush, save the checkpoint and return.

        Background tasks run supervised (relay.supervision): one that cannot continue
        sets ``failed`` and stops the relay the same way.
        """
        self.resume()
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=10, connect=10)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            rest = HistoricalTrades(
                session,
                self.settings.rest_url,
                self.stats,
                self.settings.rest_weight_budget,
                self.settings.api_key,
            )
            backfiller = Backfiller(
                rest,
                self.trackers,
                self.stats,
                accept=self.accept,
                dead_letter=self.dead_letter,
                grace=self.settings.gap_grace,
            )
            shards = shard(self.settings.pairs, self.settings.max_streams_per_connection)
            feeds = [
                ShardFeed(
                    session,
                    pairs=pairs,
                    base_url=self.settings.ws_url,
                    handler=self.on_frame,
                    connected=backfiller.on_connected,
                    stats=self.stats,
                    rotate_after=self.settings.rotate_after,
                )
                for pairs in shards
            ]
            workers = [
                *(
                    self._supervisor.start(
                        f"feed-{index}", functools.partial(feed.run, self.stopping)
                    )
                    for index, feed in enumerate(feeds)
                ),
                self._supervisor.start("flush", self._flush_loop),
                self._supervisor.start(
                    "backfill", functools.partial(backfiller.run, self.stopping)
                ),
                self._supervisor.start(
                    "checkpoint",
                    functools.partial(
                        keep_saving,
                        self.checkpoint,
                        self.positions,
                        self.stopping,
                        self.stats,
                    ),
                ),
            ]
            await self.stopping.wait()
            await asyncio.wait(workers, timeout=2.0)
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
        await self._shutdown()

    async def _shutdown(self) -> None:
        for batch in self._batcher.drain():
            await self._publisher.publish_batch(batch, self.sink)
        deadline = time.monotonic() + SHUTDOWN_GRACE
        await self.sink.close(max(0.1, deadline - time.monotonic()))
        await self.dead_letters.close(max(0.1, deadline - time.monotonic()))
        positions = self.positions()
        if positions:
            try:
                self.checkpoint.save(positions)
            except Exception:  # the previous checkpoint stays: duplicates after restart
                self.stats.checkpoint_save_errors += 1
                log.exception(
                    "final checkpoint not saved",
                    extra=logs.fields(checkpoint=self.checkpoint.location),
                )
        log.info("relay stopped", extra=logs.fields(**self.stats.snapshot()))

    def stop(self) -> None:
        self.stopping.set()
