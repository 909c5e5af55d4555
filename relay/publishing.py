"""Publishing until acknowledged: every message is retried until its sink takes it.

A closed batch counts as in flight from the moment it is handed to the sink until
the sink acknowledges it; ``unacknowledged`` gives the checkpoint the lowest id of
each such batch, which it may not pass. A sink that raises on submit counts as a
failed publish, like a publish whose future fails: the message is submitted again
after a backoff (relay.backoff), for as long as the relay runs. Duplicates that a
retry causes carry the same trade ids and are dropped downstream.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Any

from coinpulse import logs, messages
from relay import batching
from relay.backoff import Backoff
from relay.sinks import Sink
from relay.stats import RelayStats

log = logging.getLogger(__name__)


@dataclass
class Outbound:
    """One message on its way to a sink, with its batch (none for heartbeats and
    dead letters) and its retry state."""

    body: bytes
    attributes: messages.Attributes
    batch: batching.Batch | None = None
    attempts: int = 0
    retry: Backoff = field(default_factory=Backoff)


class Publisher:
    """Hands messages to sinks and tracks each pair's unacknowledged batches."""

    def __init__(self, stats: RelayStats, pairs: Iterable[str]) -> None:
        self.stats = stats
        self.last_publish = time.monotonic()
        self._in_flight: dict[str, dict[int, int]] = {pair: {} for pair in pairs}
        self._tasks: set[asyncio.Task[None]] = set()

    def unacknowledged(self, pair: str) -> list[int]:
        """The lowest trade id of each of the pair's batches not yet acknowledged."""
        return list(self._in_flight[pair])

    async def publish_batch(self, batch: batching.Batch, sink: Sink) -> None:
        """Hand a closed batch to the sink; it counts as unacknowledged from here on."""
        body, attributes = messages.encode_trades(batch.trades)
        in_flight = self._in_flight[batch.symbol]
        low = batch.min_trade_id
        in_flight[low] = in_flight.get(low, 0) + 1
        await self.submit(Outbound(body, attributes, batch), sink)

    async def submit(self, outbound: Outbound, sink: Sink) -> None:
        """Hand a message over; a sink that raises counts as a failed publish (retried)."""
        outbound.attempts += 1
        try:
            future = await sink.submit(outbound.body, outbound.attributes)
        except Exception as error:
            future = asyncio.get_running_loop().create_future()
            future.set_exception(error)
        self.last_publish = time.monotonic()
        future.add_done_callback(lambda done: self._settled(outbound, sink, done))

    def _settled(self, outbound: Outbound, sink: Sink, future: asyncio.Future[None]) -> None:
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

    async def _resubmit(self, outbound: Outbound, sink: Sink, delay: float) -> None:
        await asyncio.sleep(delay)
        await self.submit(outbound, sink)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
