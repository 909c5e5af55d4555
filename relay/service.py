"""The relay service: frames in, batched trade messages out, nothing lost.

Flow per frame: parse (bad frames -> dead-letter sink with the reason) -> trade-id
continuity per pair (a jump opens a gap) -> per-pair batch -> sink. Background
tasks close batches on time, publish heartbeats while idle, backfill gaps over REST
(relay.backfill), save the checkpoint, and re-submit messages whose publish failed.

Exactly what is promised: every trade reaches the sink at least once (the
checkpoint only advances over acknowledged trades, gaps are backfilled, failed
publishes are retried forever); duplicates always carry the same trade id.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from coinpulse import binance_frames, logs, messages
from coinpulse.trade import SOURCE_REST, InvalidTrade, Trade
from relay import batching
from relay.backfill import Backfiller
from relay.backoff import Backoff
from relay.checkpoint import CheckpointStore, NoCheckpoint, Positions, keep_saving
from relay.feed import (
    DEFAULT_ROTATE_AFTER,
    MAX_STREAMS_PER_CONNECTION,
    ShardFeed,
    shard,
)
from relay.gaps import GapTracker
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


@dataclass
class _Outbound:
    body: bytes
    attributes: messages.Attributes
    batch: batching.Batch | None = None
    attempts: int = 0
    retry: Backoff = field(default_factory=Backoff)


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
        self._in_flight: dict[str, dict[int, int]] = {pair: {} for pair in settings.pairs}
        self._last_publish = time.monotonic()
        self._tasks: set[asyncio.Task[None]] = set()
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
            await self._publish_batch(full)

    async def dead_letter(self, reason: str, raw: str, received_at: int) -> None:
        self.stats.dead_letters[reason.split(":", maxsplit=1)[0]] += 1
        body, attributes = messages.encode_dead_letter(
            DEAD_LETTER_STAGE, reason, raw, self.settings.ws_url, received_at
        )
        await self._submit(_Outbound(body, attributes), self.dead_letters)

    # ---------- publishing

    async def _publish_batch(self, batch: batching.Batch) -> None:
        """Hand a closed batch to the sink; it counts as unacknowledged from here on."""
        body, attributes = messages.encode_trades(batch.trades)
        in_flight = self._in_flight[batch.symbol]
        low = batch.min_trade_id
        in_flight[low] = in_flight.get(low, 0) + 1
        await self._submit(_Outbound(body, attributes, batch), self.sink)

    async def _submit(self, outbound: _Outbound, sink: Sink) -> None:
        """Hand a message over; a sink that raises counts as a failed publish (retried)."""
        outbound.attempts += 1
        try:
            future = await sink.submit(outbound.body, outbound.attributes)
        except Exception as error:
            future = asyncio.get_running_loop().create_future()
            future.set_exception(error)
        self._last_publish = time.monotonic()
        future.add_done_callback(lambda done: self._settled(outbound, sink, done))

    def _settled(self, outbound: _Outbound, sink: Sink, future: asyncio.Future[None]) -> None:
        error = future.exception()
        if error is not None:
            self.stats.publish_errors += 1
            delay = outbound.retry.next_delay()
            log.warning(
                "publish failed, retrying",
                extra=logs.fields(
                    sink=sink.name, error=repr(error), attempt=outbound.attempts, retry_in_s=delay
                ),
            )
            self._spawn(self._resubmit(outbound, sink, delay))
            return
        batch = outbound.batch
        if batch is None:
            if outbound.attributes.get(messages.ATTR_KIND) == messages.KIND_HEARTBEAT:
                self.stats.heartbeats_published += 1
            return
        now = time.monotonic()
        self.stats.messages_published += 1
        self.stats.trades_published += len(batch.trades)
        self.stats.lags_ms.extend((now - received) * 1000 for received in batch.received)
        in_flight = self._in_flight[batch.symbol]
        low = batch.min_trade_id
        in_flight[low] -= 1
        if not in_flight[low]:
            del in_flight[low]

    async def _resubmit(self, outbound: _Outbound, sink: Sink, delay: float) -> None:
        await asyncio.sleep(delay)
        await self._submit(outbound, sink)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _flush_loop(self) -> None:
        heartbeat = self.settings.heartbeat_every
        while not self.stopping.is_set():
            await asyncio.sleep(BATCH_TICK)
            now = time.monotonic()
            while (batch := self._batcher.next_expired(now)) is not None:
                await self._publish_batch(batch)
            if heartbeat and now - self._last_publish >= heartbeat:
                body, attributes = messages.encode_heartbeat(int(time.time() * 1000))
                await self._submit(_Outbound(body, attributes), self.sink)

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
            unacked = list(self._in_flight[pair])
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
            await self._publish_batch(batch)
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
