"""``coinpulse bench``: the project's speed and memory figures, measured on this machine.

Each suite is a module with ``run(quick: bool) -> list[str]`` returning result lines;
suites start their own local stand-ins. Targets are stated next to each figure, with
what bounds it; nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import signal
import time

SUITES: dict[str, str] = {
    "relay": "commands.bench.relay",
    "pipeline": "commands.bench.pipeline",
    "flink": "commands.bench.flink",
    "stack": "commands.bench.stack",
    "repair": "commands.bench.repair",
    "dashboard": "commands.bench.dashboard",
    "soak": "commands.bench.soak",
    "dbt": "commands.bench.dbt",
}
# Run only when named (--only soak, make soak): 20 minutes, more than a speed figure.
ON_REQUEST = ("soak",)
DEFAULT_SUITES = [name for name in SUITES if name not in ON_REQUEST]


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--only",
        default=",".join(DEFAULT_SUITES),
        help=f"comma-separated suites to run (default: %(default)s; known: {', '.join(SUITES)})",
    )
    parser.add_argument("--quick", action="store_true", help="smaller inputs, rougher figures")
    parser.set_defaults(handler=run)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    """SIGTERM unwinds like Ctrl-C, so every suite stops the processes it started."""
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in SUITES]
    if unknown:
        print(f"unknown suite(s): {', '.join(unknown)}; known: {', '.join(SUITES)}")
        return 2
    machine = platform.processor() or platform.machine()
    print(f"# CoinPulse benchmarks on {platform.node()} ({machine}, {os.cpu_count()} cores)")
    for name in chosen:
        started = time.monotonic()
        print(f"\n## {name}", flush=True)
        for line in importlib.import_module(SUITES[name]).run(args.quick):
            print(line, flush=True)
        print(f"({name} took {time.monotonic() - started:.0f} s)")
    return 0
