"""Local stack benchmark: end-to-end freshness, from a window's end to its row in the warehouse.

Runs ``coinpulse demo`` at default settings (replay exchange, 5 pairs, flush period
120 s, early panes every 20 s) in a scratch COINPULSE_HOME and, from this process,
reads the warehouse once a second the way a dashboard would (short read-only
connections), noting when each pane first became queryable. Reported: for the
on-time pane of every minute, the time from the window's end until it could be
queried; the same for the newest early pane of every minute, and that pane's age
(since the pipeline emitted it) at that moment; and the time from a window's end
until its row is in ``crypto_mart.mart_crypto_prices`` (the stack's dbt refresh).

What bounds it: panes wait for the flush of their output, one object per 120 s
period starting 10 s after even minutes (beam_pipeline/sinks.py, to stay inside
BigQuery's 1,500 load jobs per table per day). A minute that ends at an even
minute makes the flush 10 s later, one that ends at an odd minute waits 70 s;
then the notification's delivery and a load of a few milliseconds. Resolution: 1 s.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

from commands import localproc, warehouse_db
from commands.stack.config import DEFAULT_PORTS
from commands.stack.processes import coinpulse_command
from relay.stats import percentile

TARGET_P95_SECONDS = 150.0
MART_TARGET_P95_SECONDS = 180.0  # window end -> row in mart_crypto_prices
READ_EVERY_SECONDS = 1.0
STOP_SECONDS = 120.0  # the demo stops its processes one after the other
PANES_SQL = """
SELECT symbol, epoch_ms(window_end) / 1000.0, pane_index, pane_timing,
    epoch_ms(emitted_at) / 1000.0
FROM crypto_raw.stream_prices
"""

MART_SQL = """
SELECT symbol, epoch_ms(window_end) / 1000.0 FROM crypto_mart.mart_crypto_prices
"""

Pane = tuple[str, float, int, str, float]  # symbol, window end, index, timing, emitted at
Minute = tuple[str, float]  # symbol, window end


def _rows(connection: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    try:
        return connection.execute(sql).fetchall()
    except duckdb.CatalogException:  # tables (or the marts) not created yet
        return []


def observe(
    warehouse: Path, until: float, demo: subprocess.Popen[bytes]
) -> tuple[dict[Pane, float], dict[Minute, float]]:
    """Read the warehouse every second until ``until``; when each pane, and each
    minute's row in mart_crypto_prices, was first seen."""
    seen: dict[Pane, float] = {}
    in_mart: dict[Minute, float] = {}
    while time.time() < until and demo.poll() is None:
        if warehouse.exists():
            with warehouse_db.read(warehouse) as connection:
                panes, minutes = _rows(connection, PANES_SQL), _rows(connection, MART_SQL)
            now = time.time()
            for symbol, end, index, timing, emitted in panes:
                seen.setdefault((symbol, float(end), int(index), timing, float(emitted)), now)
            for symbol, end in minutes:
                in_mart.setdefault((symbol, float(end)), now)
        time.sleep(READ_EVERY_SECONDS)
    return seen, in_mart


def figures(label: str, values: list[float]) -> str:
    if not values:
        return f"{label}: no samples"
    p50, p95 = percentile(values, 0.50), percentile(values, 0.95)
    mean = sum(values) / len(values)
    spread = f"min {min(values):.0f} s, p50 {p50:.0f} s, p95 {p95:.0f} s, max {max(values):.0f} s"
    return f"{label}: {spread}, mean {mean:.0f} s ({len(values)} windows)"


def measure(duration: float) -> tuple[dict[Pane, float], dict[Minute, float]]:
    """Run the demo for ``duration`` seconds in a scratch home, watching the warehouse."""
    with tempfile.TemporaryDirectory(prefix="coinpulse-bench-") as scratch:
        home = Path(scratch)
        ports = [f"--{name}-port={localproc.free_port()}" for name in DEFAULT_PORTS]
        demo = localproc.spawn(
            coinpulse_command("demo", "--duration", f"{duration:g}", *ports),
            home / "demo.out",
            {"COINPULSE_HOME": str(home)},
        )
        try:
            return observe(home / "warehouse.duckdb", time.time() + duration + STOP_SECONDS, demo)
        finally:
            localproc.stop(demo, grace=STOP_SECONDS)


def run(quick: bool) -> list[str]:
    duration = 240.0 if quick else 600.0
    begun = time.time()
    seen, in_mart = measure(duration)
    # Minutes that ended while the stack ran (the closing build after the drain
    # adds the last ones; they are left out).
    to_mart = [first - end for (_, end), first in in_mart.items() if end <= begun + duration]
    on_time = [first - end for (_, end, _, timing, _), first in seen.items() if timing == "ON_TIME"]
    newest_early: dict[tuple[str, float], tuple[int, float, float]] = {}
    for (symbol, end, index, timing, emitted), first in seen.items():
        best = newest_early.get((symbol, end))
        if timing == "EARLY" and (best is None or index > best[0]):
            newest_early[(symbol, end)] = (index, first - end, first - emitted)
    p95 = percentile(on_time, 0.95)
    verdict = "met" if p95 is not None and p95 <= TARGET_P95_SECONDS else "MISSED"
    mart_p95 = percentile(to_mart, 0.95)
    mart_verdict = (
        "met" if mart_p95 is not None and mart_p95 <= MART_TARGET_P95_SECONDS else "MISSED"
    )
    return [
        f"demo at default settings for {duration:.0f} s, "
        f"warehouse read every {READ_EVERY_SECONDS:g} s",
        figures("on-time row queryable after its window's end", on_time),
        f"  target: p95 <= {TARGET_P95_SECONDS:.0f} s: {verdict}",
        figures(
            "newest early pane queryable after its window's end",
            [after_end for _, after_end, _ in newest_early.values()],
        ),
        figures(
            "newest early pane's age when queryable (since emitted)",
            [age for _, _, age in newest_early.values()],
        ),
        "  bimodal: bounded by the 120 s flush period (10 s after windows ending at even "
        "minutes, 70 s after odd ones), plus the notification's delivery and the load",
        figures("row in mart_crypto_prices after its window's end", to_mart)
        + f"; {len(in_mart)} minutes seen in the mart in all",
        f"  target: p95 <= {MART_TARGET_P95_SECONDS:.0f} s: {mart_verdict}; adds the stack's "
        "refresh interval (commands/stack/transform.py, 90 s) and one refresh",
    ]
