"""``coinpulse demo``: the whole streaming lane on this machine, with local stand-ins for the cloud.

    replay exchange (or Binance) -> relay -> Pub/Sub emulator -> Beam on the DirectRunner
    -> JSONL in fake-gcs-server -> its notifications -> Eventarc stand-in -> loader
    (functions-framework, CloudEvents over HTTP) -> DuckDB warehouse; the CoinGecko lane
    (stand-in without a key) at start and daily.

State lives in $COINPULSE_HOME (default .coinpulse/): the warehouse
(warehouse.duckdb), the emulated bucket (gcs/) and one log per process (logs/).
Every child runs in its own process group and is stopped on Ctrl-C, SIGTERM or the
end of --duration, after a drain: the relay stops first, and the stack waits until
every trade it published is in the warehouse (a second Ctrl-C skips the wait); then
coinpulse verify checks the warehouse and, when it finds a gap (the minutes a
restarted pipeline held in memory), coinpulse repair refills it from the exchange's
REST before the rest of the stack stops.
A child that dies is restarted with backoff, as the cloud would; one that keeps
dying (5 restarts within 10 minutes) stops the stack.
Exit status: 0 after a requested stop, 1 when a process kept failing, 2 when a
prerequisite is missing or a port is taken.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from coinpulse import logs, symbols
from commands import localproc
from commands.stack import completion, config, drain, launch, summary
from commands.stack import transform as stack_transform
from commands.stack.config import StackConfig
from commands.stack.processes import MAX_RESTARTS, RESTART_WINDOW_SECONDS, Children

CHECK_SECONDS = 1.0


def configure(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = __doc__.split("\n\n", 1)[1]
    config.add_arguments(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    try:
        settings = config.from_args(args)
        launch.check_prerequisites()
        settings.check_ports()
    except (localproc.MissingPrerequisite, localproc.PortInUse, symbols.UnknownSymbol) as error:
        print(f"coinpulse demo: {error}", file=sys.stderr)
        return 2
    return run(settings)


def _stop_on_signals(stop: threading.Event, hurry: threading.Event) -> None:
    """The first Ctrl-C or SIGTERM stops the stack (draining); a second one skips the drain."""

    def request_stop(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            print(f"\n{signal.Signals(signum).name} again: not waiting any longer", flush=True)
            hurry.set()
            return
        print(f"\n{signal.Signals(signum).name}: stopping the stack ...", flush=True)
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, request_stop)


def watch(children: Children, stop: threading.Event, duration: float | None) -> int:
    """Wait for a stop request or the duration, restarting children that die.

    Returns 0, or 1 when a child kept dying and the stack gave up on it.
    """
    deadline = None if duration is None else time.monotonic() + duration
    due: dict[str, float] = {}  # child name -> when its restart is due
    while not stop.wait(CHECK_SECONDS):
        now = time.monotonic()
        for child in children.exited():
            if child.name not in due:
                delay = child.restart_delay(now)
                if delay is None:
                    print(
                        f"coinpulse demo: {child.name} exited with {child.process.returncode} "
                        f"{MAX_RESTARTS + 1} times within {RESTART_WINDOW_SECONDS:.0f} s; "
                        f"giving up. The end of {child.log}:\n{child.tail()}",
                        file=sys.stderr,
                    )
                    return 1
                print(
                    f"coinpulse demo: {child.name} exited with {child.process.returncode}; "
                    f"restarting it in {delay:g} s (log: {child.log})",
                    file=sys.stderr,
                    flush=True,
                )
                due[child.name] = now + delay
            elif now >= due[child.name]:
                children.restart(child, now)
                del due[child.name]
        if deadline is not None and now >= deadline:
            return 0
    return 0


def _log_to_file(path: Path) -> None:
    """This process's own logs (the CoinGecko lane) go to a file, not between the table lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, mode="w")
    handler.setFormatter(logs.CloudLoggingFormatter())
    logging.getLogger().handlers[:] = [handler]


def _drain(settings: StackConfig, hurry: threading.Event) -> None:
    """Wait until every trade the relay published is in a loaded window (docs/demo.md)."""
    target = drain.published(launch.relay_checkpoint(settings))
    print(
        f"draining: waiting up to {drain.DRAIN_TIMEOUT_SECONDS:.0f} s until the last trade the "
        "relay published is in the warehouse (Ctrl-C again to stop at once) ...",
        flush=True,
    )

    def progress(left: drain.Positions) -> None:
        pairs = ", ".join(f"{pair} up to id {last}" for pair, last in sorted(left.items()))
        print(f"draining: still waiting for {pairs}", flush=True)

    left = drain.wait(target, settings.warehouse, hurry, progress)
    if left:
        pairs = ", ".join(sorted(left))
        print(f"not drained: the last trades of {pairs} are not in the warehouse", flush=True)
    else:
        print("drained: every trade the relay published is in the warehouse", flush=True)


def run(settings: StackConfig) -> int:
    """Start the stack, wait, stop everything, print the summary."""
    stop, hurry = threading.Event(), threading.Event()
    _stop_on_signals(stop, hurry)
    _log_to_file(settings.logs / launch.OWN_LOG)
    started = time.monotonic()
    with ExitStack() as resources:
        children = Children(settings.logs)
        resources.callback(children.stop_all)  # also when anything below raises
        try:
            rows = launch.start(settings, children, resources)
        except Exception as error:  # any failure to start: say so, stop what started
            children.stop_all()
            print(
                f"coinpulse demo: could not start the stack: {error!r} (logs in {settings.logs})",
                file=sys.stderr,
            )
            for child in children.exited():
                print(f"the end of {child.log}:\n{child.tail()}", file=sys.stderr)
            return 1
        print("\n".join(launch.table(settings, rows)), flush=True)
        started_at = datetime.now(UTC)
        with stack_transform.running(settings.home, settings.symbols) as runs:
            status = watch(children, stop, settings.duration)
        relay = summary.relay_stats(settings.url("relay", "/stats"))
        print("stopping the relay ...", flush=True)
        children.stop("relay")
        _drain(settings, hurry)
        repair = completion.verify_and_repair(settings, hurry)
        print(f"repair: {repair}", flush=True)
        print("building the marts ...", flush=True)
        built = stack_transform.final_build(settings.home, settings.symbols, started_at)
        print("stopping the stack ...", flush=True)
        children.stop_all()
        quarantined = summary.quarantined(launch.storage_client(), settings.bucket)
    result = summary.Summary(
        time.monotonic() - started,
        relay,
        summary.warehouse_counts(settings.warehouse),
        quarantined,
        summary.completeness_of(settings.warehouse),
        repair,
        summary.mart_counts(settings.warehouse),
        f"{runs.describe()}; {built}",
    )
    print("\n".join(result.lines()), flush=True)
    return status
