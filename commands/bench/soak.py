"""Soak: the whole local stack for 20 minutes with every fault on and processes killed.

Runs ``coinpulse demo --exchange-faults all`` (replay exchange: dropped connections,
serverShutdown, duplicated, reordered and malformed frames, REST 429s; the ALL_FAULTS
settings of standins/exchange/faults.py) in a scratch COINPULSE_HOME on free ports,
SIGKILLs the relay twice and the pipeline once at random moments (seeded, printed;
none in the first or last QUIET_SECONDS; the pipeline's not before every pair has a
window loaded, see wait_for_first_windows) and lets the demo end by itself: it drains,
runs verify and, on a gap, repair (commands/stack/completion.py). Then the warehouse
is compared with the exchange's ground truth up to the relay's last published ids
(commands/bench/ground_truth.py). Expected: nothing missing, nothing counted twice, no
window that differs. Nothing is asserted; when it falls short, the lines say what
bounds it and the scratch home (logs, lake, warehouse) is kept.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import tempfile
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import duckdb

from coinpulse import symbols
from commands import localproc, warehouse_db
from commands.bench import ground_truth
from commands.bench.ground_truth import Comparison
from commands.bench.stack_processes import process_running, processes_of
from commands.stack import completion, drain
from commands.stack.config import DEFAULT_PORTS
from commands.stack.processes import READY_TIMEOUT_SECONDS, coinpulse_command

SOAK_SECONDS, QUICK_SECONDS = 1200.0, 240.0  # the contract: at least 20 minutes; quick: 4
QUIET_SECONDS = 60.0  # no kill within the first or the last minute of the run
KILLS = ("relay", "relay", "pipeline")
# Between two kills: a killed relay is back within seconds (restart backoff 1 s, then
# its REST catch-up), so the next kill meets a running one, not a restart in progress.
KILL_GAP_SECONDS = 20.0
SEED_ENV = "COINPULSE_SOAK_SEED"  # replays a schedule; default: a new seed every run
FIND_SECONDS = 30.0  # a killed child is back within its restart backoff (1 s doubling)
STOP_SECONDS = 120.0  # the demo stops its children one by one, 10 s grace each
# The stack is up when the demo prints its table: every child ready within its timeout.
START_SECONDS = 3 * READY_TIMEOUT_SECONDS
# After --duration: the drain, verify + repair, then the stop.
END_SECONDS = drain.DRAIN_TIMEOUT_SECONDS + completion.REPAIR_TIMEOUT_SECONDS + STOP_SECONDS
STARTED_LINE = "Stops by itself after"
SUMMARY_LINE = "CoinPulse demo summary"
OUTCOME_PREFIXES = ("drained", "not drained", "repair:", "coinpulse demo:")


@dataclass(frozen=True)
class Kill:
    at: float  # seconds after the stack is up
    process: str  # the stack's child: relay or pipeline


def kill_schedule(seed: int, duration: float, kills: tuple[str, ...] = KILLS) -> list[Kill]:
    """One kill per entry of ``kills``, in random order and at random moments, in time order.

    The run between the quiet first and last minutes is cut into one slot per kill, each
    kill falls in the first part of its slot, so two are KILL_GAP_SECONDS apart at least.
    Raises ValueError when the run is too short for that.
    """
    slot = (duration - 2 * QUIET_SECONDS) / len(kills)
    if slot <= KILL_GAP_SECONDS:
        raise ValueError(f"a soak of {duration:g} s is too short for {len(kills)} kills")
    rng = random.Random(seed)
    order = list(kills)
    rng.shuffle(order)
    return [
        Kill(QUIET_SECONDS + index * slot + rng.uniform(0, slot - KILL_GAP_SECONDS), name)
        for index, name in enumerate(order)
    ]


def wait_for_line(output: Path, text: str, demo: subprocess.Popen[bytes], timeout: float) -> bool:
    """Whether ``text`` appeared in the demo's output within ``timeout`` while it ran."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and demo.poll() is None:
        if output.exists() and text in output.read_text(errors="replace"):
            return True
        time.sleep(0.5)
    return False


def wait_for_first_windows(home: Path, deadline: float) -> bool:
    """Whether every pair has a window in the warehouse before ``deadline`` (monotonic).

    Verify finds missing ids between windows: the trades of a pair's first minutes, lost
    with a pipeline killed before any of its windows was loaded, would leave no trace.
    """
    while time.monotonic() < deadline:
        if set(symbols.DEFAULT_PAIRS) <= set(drain.loaded(home / "warehouse.duckdb")):
            return True
        time.sleep(1)
    return False


def kill(home: Path, process: str) -> str:
    """SIGKILL the stack's child; what happened. Waits FIND_SECONDS for one being restarted."""
    deadline = time.monotonic() + FIND_SECONDS
    while True:
        try:
            pid = process_running(home, "commands.main", process)
        except LookupError:
            if time.monotonic() >= deadline:
                return f"no {process} running for {FIND_SECONDS:.0f} s: not killed"
            time.sleep(1)
            continue
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue  # it ended between the lookup and the kill
        return f"{process} (pid {pid}) killed with SIGKILL"


def soak(home: Path, duration: float, schedule: list[Kill]) -> tuple[int | None, list[str]]:
    """Run the demo with the kills; its exit status (None: it had to be stopped) and kill lines."""
    output = home / "demo.out"
    ports = [f"--{name}-port={localproc.free_port()}" for name in DEFAULT_PORTS]
    command = coinpulse_command(
        "demo", "--duration", f"{duration:g}", "--truth-file", str(home / "truth.jsonl"), *ports
    )
    demo = localproc.spawn(
        [*command, "--exchange-faults", "all"], output, {"COINPULSE_HOME": str(home)}
    )
    killed: list[str] = []
    try:
        if not wait_for_line(output, STARTED_LINE, demo, START_SECONDS):
            return demo.poll(), ["the stack did not start: see demo.out"]
        started = time.monotonic()
        for planned in schedule:
            time.sleep(max(0.0, started + planned.at - time.monotonic()))
            if demo.poll() is not None:
                break
            if planned.process == "pipeline":
                latest = started + duration - QUIET_SECONDS
                if not wait_for_first_windows(home, latest):
                    killed.append("  no window of every pair loaded before the last minute")
            what = kill(home, planned.process)
            killed.append(f"  at {time.monotonic() - started:5.0f} s: {what}")
        try:
            return demo.wait(max(0.0, started + duration - time.monotonic()) + END_SECONDS), killed
        except subprocess.TimeoutExpired:
            return None, killed
    finally:
        localproc.stop(demo, grace=STOP_SECONDS)
        for pid in processes_of(home):  # only a SIGKILLed demo leaves children behind
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def outcome_lines(output: str) -> list[str]:
    """The demo's drain and repair lines, its restarts and complaints, and its summary."""
    lines = output.splitlines()
    summary = next((i for i, line in enumerate(lines) if line.startswith(SUMMARY_LINE)), None)
    said = [line for line in lines[:summary] if line.startswith(OUTCOME_PREFIXES)]
    return [*said, *(lines[summary:] if summary is not None else [])]


def bounds(status: int | None, comparison: Comparison | None, output: str) -> list[str]:
    """Why the run fell short, from what the demo said; empty when it did not."""
    exact = comparison is not None and not (
        comparison.missing or comparison.counted_twice or comparison.differing
    )
    if status == 0 and exact:
        return []
    found = []
    if status is None:
        found.append(f"the demo did not end within {END_SECONDS:.0f} s of --duration")
    elif status != 0:
        found.append(f"the demo exited {status} (a process kept dying, or it could not start)")
    if "not drained" in output:
        found.append("the drain timed out: the last trades of a pair never reached the warehouse")
    if "repair: ran: exit" in output or "repair: stopped" in output:
        found.append("repair could not refill every range: see logs/repair.log")
    if comparison is None:
        found.append("no comparison: the truth file, relay checkpoint or warehouse is unreadable")
    return found or ["windows differ although verify and repair found nothing: see the list"]


def run(quick: bool) -> list[str]:
    duration = QUICK_SECONDS if quick else SOAK_SECONDS
    seed = int(os.environ.get(SEED_ENV, time.time_ns() % 1_000_000))
    schedule = kill_schedule(seed, duration)
    planned = ", ".join(f"{kill.process} at {kill.at:.0f} s" for kill in schedule)
    home = Path(tempfile.mkdtemp(prefix="coinpulse-soak-"))
    status, killed = soak(home, duration, schedule)
    output = (home / "demo.out").read_text(errors="replace")
    try:
        comparison: Comparison | None = ground_truth.compare(
            ground_truth.truth_records(home / "truth.jsonl"),
            ground_truth.published(home / "relay" / "checkpoint.json"),
            ground_truth.best_windows(home / "warehouse.duckdb"),
        )
    except (OSError, KeyError, ValueError, duckdb.Error, warehouse_db.WarehouseBusy):
        comparison = None  # no truth file, checkpoint or warehouse: bounds() says so
    short = bounds(status, comparison, output)
    if short:
        verdict = [f"FELL SHORT, kept {home}:", *[f"  bounded by: {why}" for why in short]]
    else:
        shutil.rmtree(home)
        verdict = ["expected 0 missing, 0 counted twice, 0 windows that differ: met"]
    return [
        f"demo for {duration:.0f} s against the replay exchange with every fault on "
        f"(--exchange-faults all), seed {seed} ({SEED_ENV}={seed} replays the schedule)",
        f"kills planned: {planned}",
        *killed,
        f"demo exit status: {'stopped, did not end' if status is None else status}",
        *outcome_lines(output),
        *(comparison.lines() if comparison else []),
        *verdict,
    ]
