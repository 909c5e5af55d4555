"""Fixtures of the local-stack tests: ``coinpulse demo`` as a process, and what it left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from commands import localproc
from commands.bench.stack_processes import process_running, processes_of
from commands.stack.config import DEFAULT_PORTS

REPO_ROOT = Path(__file__).resolve().parents[3]
STOP_SECONDS = 90  # the demo stops its children one by one, 10 s grace each at most


def port_flags() -> list[str]:
    """A free port for every component of the stack."""
    return [
        flag for name in DEFAULT_PORTS for flag in (f"--{name}-port", str(localproc.free_port()))
    ]


def kill_all(pids: list[int]) -> None:
    for pid in pids:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@contextmanager
def demo_process(home: Path, *args: str) -> Iterator[subprocess.Popen[bytes]]:
    """``coinpulse demo ARGS`` with its own home and free ports; output to home/demo.out.

    On exit a demo still running gets SIGTERM, then SIGKILL; anything it left behind
    is killed (tests assert separately that nothing was).
    """
    home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "COINPULSE_HOME": str(home), "PYTHONPATH": str(REPO_ROOT)}
    env.pop("COINGECKO_API_KEY", None)
    with open(home / "demo.out", "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "commands.main", "demo", *port_flags(), *args],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        kill_all(processes_of(home))


def wait_for_output(home: Path, text: str, process: subprocess.Popen[bytes], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        output = (home / "demo.out").read_text(errors="replace")
        if text in output:
            return output
        if process.poll() is not None:
            raise AssertionError(f"the demo exited with {process.returncode}:\n{output}")
        time.sleep(0.5)
    raise AssertionError(f"no {text!r} after {timeout:.0f} s")


class Demo:
    """The helpers above, served as a fixture (conftest is not importable)."""

    run = staticmethod(demo_process)
    processes_of = staticmethod(processes_of)
    process_running = staticmethod(process_running)
    wait_for_output = staticmethod(wait_for_output)


@pytest.fixture
def demo() -> type[Demo]:
    return Demo
