"""Stopping without loss: every trade the relay published reaches the warehouse first.

When the demo stops, the relay stops first: it stops reading, publishes what it holds
and saves its checkpoint (the last published trade id of every pair). The pipeline
keeps running: the minutes still open close as the clock passes their end, their
on-time panes go out with the next flush period, and the loader loads them. ``wait``
polls the warehouse until, for every pair, a window holds the relay's last trade id,
then the rest of the stack stops. Within DRAIN_TIMEOUT_SECONDS, or until asked to
hurry (a second Ctrl-C); what did not arrive is reported, never hidden.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from commands import warehouse_db
from relay import checkpoint

# The last minute closes within 60 s of the relay's stop, its on-time pane makes the next
# flush period (120 s, starting 10 s after even minutes: docs/pipeline.md) and the load
# takes a second: 190 s at most, with room for a slow machine.
DRAIN_TIMEOUT_SECONDS = 300.0
POLL_SECONDS = 2.0
LOADED_SQL = "SELECT symbol, max(last_trade_id) FROM crypto_raw.stream_prices GROUP BY symbol"

Positions = dict[str, int]


def published(relay_checkpoint: Path) -> Positions:
    """The relay's last published trade id per pair, from its saved checkpoint."""
    return checkpoint.open_checkpoint(str(relay_checkpoint)).load()


def loaded(warehouse: Path) -> Positions:
    """The highest trade id a window holds, per pair (nothing before the first load)."""
    if not warehouse.exists():
        return {}
    with warehouse_db.read(warehouse) as connection:
        try:
            return {str(s): int(i) for s, i in connection.execute(LOADED_SQL).fetchall()}
        except duckdb.CatalogException:
            return {}


def behind(target: Positions, reached: Positions) -> Positions:
    """The pairs whose last published trade no loaded window holds yet, with their target."""
    return {pair: last for pair, last in target.items() if reached.get(pair, -1) < last}


def wait(
    target: Positions,
    warehouse: Path,
    hurry: threading.Event,
    progress: Callable[[Positions], None],
    timeout: float = DRAIN_TIMEOUT_SECONDS,
) -> Positions:
    """Poll until every pair's last published trade is in a window; returns what is still behind.

    ``progress`` is called with the pairs still behind at most every 30 s.
    """
    deadline = time.monotonic() + timeout
    said = 0.0
    while True:
        left = behind(target, loaded(warehouse))
        now = time.monotonic()
        if not left or now >= deadline or hurry.is_set():
            return left
        if now - said >= 30:
            progress(left)
            said = now
        hurry.wait(POLL_SECONDS)
