"""CoinGecko fixtures: a fixed clock, the stand-in (in process or not), functions-framework."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from commands import localproc
from standins.coingecko import StandIn

REPO_ROOT = Path(__file__).resolve().parents[1]
# A realistic fetch time: between two half-hour marks, so the newest candle is forming.
NOW = datetime(2026, 5, 18, 12, 49, 21, 599000, tzinfo=UTC)


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def standin() -> Iterator[StandIn]:
    """An in-process stand-in serving data as of NOW; tests may set faults on it."""
    with StandIn(now=lambda: NOW) as server:
        yield server


def subprocess_env(**extra: str) -> dict[str, str]:
    """Environment for child processes: no CoinGecko key or lake setting leaking in."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("COINGECKO_")}
    env.pop("COINPULSE_LAKE", None)
    env.update(extra)
    return env


@contextmanager
def standin_process(log_path: Path, *args: str) -> Iterator[str]:
    """``python -m standins.coingecko`` on a free port; yields its base URL."""
    port = localproc.free_port()
    command = [sys.executable, "-m", "standins.coingecko", "--port", str(port), *args]
    process = localproc.spawn(command, log_path, env=subprocess_env())
    try:
        base_url = f"http://127.0.0.1:{port}/api/v3"
        localproc.wait_until(f"{base_url}/ping", process, timeout=60)
        yield base_url
    finally:
        localproc.stop(process)


@contextmanager
def function_process(target: str, log_path: Path, env: dict[str, str]) -> Iterator[str]:
    """functions-framework serving an entry point of functions/coingecko/main.py; yields its URL."""
    port = localproc.free_port()
    command: Sequence[str] = [
        str(Path(sys.executable).parent / "functions-framework"),
        "--target",
        target,
        "--source",
        str(REPO_ROOT / "functions" / "coingecko" / "main.py"),
        "--port",
        str(port),
    ]
    process = localproc.spawn(command, log_path, env=subprocess_env(**env))
    try:
        localproc.wait_for_port(port, process, timeout=60)
        yield f"http://127.0.0.1:{port}/"
    finally:
        localproc.stop(process)


SpawnStandin = Callable[..., AbstractContextManager[str]]
SpawnFunction = Callable[[str, Path, dict[str, str]], AbstractContextManager[str]]


@pytest.fixture
def spawn_standin() -> SpawnStandin:
    """``spawn_standin(log_path, *flags)``: the stand-in as a process, as a context manager."""
    return standin_process


@pytest.fixture
def spawn_function() -> SpawnFunction:
    """``spawn_function(target, log_path, env)``: functions-framework, as a context manager."""
    return function_process


RunCli = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture
def run_cli() -> RunCli:
    """``run_cli(*args, **env)``: ``coinpulse ARGS`` as a process; its completed result."""

    def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "commands.main", *args],
            env=subprocess_env(**env),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    return run
