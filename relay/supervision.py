"""Background tasks that never die silently.

Each of the relay's long-running tasks (one feed per shard, the flush loop, the
backfill, the checkpoint loop) runs under ``Supervisor.start``. An unexpected
exception is logged with its traceback, counted per task in ``/stats``
(``task_failures``) and the task is restarted after a capped, jittered backoff: the
tasks keep their state in the relay, so a restart loses nothing. A task that fails
``MAX_CONSECUTIVE_FAILURES`` times without a run of ``STABLE_RUN`` seconds in between
cannot continue: the supervisor records it in ``failed`` (``/healthz`` answers 503)
and sets ``stopping``, so the relay flushes, saves its checkpoint and exits non-zero,
and the platform starts a fresh instance.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from coinpulse import logs
from relay.backoff import Backoff
from relay.stats import RelayStats

log = logging.getLogger(__name__)

MAX_CONSECUTIVE_FAILURES = 3  # a task failing this often in a row is broken: restart the process
STABLE_RUN = 60.0  # s a task must run before its failures count from zero again


class Supervisor:
    def __init__(self, stats: RelayStats, stopping: asyncio.Event):
        self._stats = stats
        self._stopping = stopping
        self.failed: str | None = None  # the task that could not continue

    def start(self, name: str, work: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        """Run ``work()`` as task ``name`` until it returns or ``stopping`` is set."""
        return asyncio.create_task(self._keep_running(name, work), name=name)

    async def _keep_running(self, name: str, work: Callable[[], Awaitable[None]]) -> None:
        backoff = Backoff()
        failures = 0
        while not self._stopping.is_set():
            started = time.monotonic()
            try:
                await work()
                return
            except Exception:
                self._stats.task_failures[name] += 1
                if time.monotonic() - started >= STABLE_RUN:
                    failures = 0
                    backoff.reset()
                failures += 1
                if failures >= MAX_CONSECUTIVE_FAILURES:
                    log.exception(
                        "background task failed for good, stopping the relay",
                        extra=logs.fields(task=name, failures=failures),
                    )
                    self.failed = name
                    self._stopping.set()
                    return
                delay = backoff.next_delay()
                log.exception(
                    "background task failed, restarting it",
                    extra=logs.fields(task=name, failures=failures, restart_in_s=round(delay, 2)),
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), delay)
