"""The marts inside the local stack: ``coinpulse transform`` every TRANSFORM_INTERVAL.

A thread runs the seed and the incremental models without the tests
(``transform.MODELS_ONLY``: seconds, so the warehouse lock is
held only briefly and the loader's bounded retries wait it out) one interval after
the stack starts and after every run, so the marts stay a couple of minutes behind
the trades. In the cloud, Cloud Scheduler starts the transform job on the same
rhythm. At the end, ``final_build`` runs ``dbt build`` (models and every test) and
rebuilds every UTC day since the stack started, which covers the minutes the
closing repair rewrote. A failed run is logged (dbt's output in the own log) and
counted; the next run tries again; it never stops the stack.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from commands import transform

# The refresh interval: about one loader flush plus a run, "minutes behind the trades".
TRANSFORM_INTERVAL_SECONDS = 90.0
JOIN_SECONDS = 60.0  # a run in flight finishes (dbt holds the warehouse) before the stack stops


@dataclass
class Runs:
    """How the stack's transform runs went."""

    ok: int = 0
    failed: int = 0

    def describe(self) -> str:
        return f"{self.ok} incremental dbt runs, {self.failed} failed"


def environment(home: Path, pairs: Sequence[str]) -> dict[str, str]:
    return {**os.environ, "COINPULSE_HOME": str(home), "COINPULSE_PAIRS": ",".join(pairs)}


def _loop(home: Path, pairs: Sequence[str], stop: threading.Event, runs: Runs) -> None:
    while not stop.wait(TRANSFORM_INTERVAL_SECONDS):
        code = transform.run("local", transform.MODELS_ONLY, base_env=environment(home, pairs))
        if code == 0:
            runs.ok += 1
        else:
            runs.failed += 1


@contextmanager
def running(home: Path, pairs: Sequence[str]) -> Iterator[Runs]:
    """Run the transform periodically while the context is open; yields its tally."""
    runs, stop = Runs(), threading.Event()
    thread = threading.Thread(
        target=_loop, args=(home, pairs, stop, runs), name="transform", daemon=True
    )
    thread.start()
    try:
        yield runs
    finally:
        stop.set()
        thread.join(JOIN_SECONDS)


def final_build(home: Path, pairs: Sequence[str], since: datetime) -> str:
    """``dbt build`` over every day since ``since``; how it went, as one phrase."""
    code = transform.run(
        "local",
        ["build"],
        since=since.astimezone(UTC).isoformat(),
        base_env=environment(home, pairs),
    )
    return "dbt build passed" if code == 0 else f"dbt build failed (exit {code}, see the logs)"
