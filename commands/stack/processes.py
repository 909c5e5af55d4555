"""The stack's child processes: started in their own process groups, restarted, stopped.

Every child runs in a new session (``localproc.spawn``), so Ctrl-C in the terminal
reaches only ``coinpulse demo``, which then stops the children itself: SIGTERM to
each process group, SIGKILL after a grace period, last started first. Nothing
outlives the demo unless the demo itself is killed with SIGKILL.

A child that dies is started again with the same command, as Cloud Run restarts a
crashed container and Dataflow a failed worker: after RESTART_BACKOFF_SECONDS,
doubling, at most MAX_RESTARTS times within RESTART_WINDOW_SECONDS; past that the
stack gives up on it (``restart_due`` says so) and the demo stops with a message.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from commands import localproc

READY_TIMEOUT_SECONDS = 120.0  # Beam and functions-framework import a lot on 2 slow cores
LOG_TAIL_LINES = 15
# Restarts: 1 s doubling to 30 s, as Cloud Run's crash-loop backoff grows; a child that
# dies 5 times within 10 minutes is failing for a reason a restart does not fix.
RESTART_BACKOFF_SECONDS = 1.0
MAX_RESTART_BACKOFF_SECONDS = 30.0
MAX_RESTARTS = 5
RESTART_WINDOW_SECONDS = 600.0


def coinpulse_command(*args: str) -> list[str]:
    """``coinpulse ARGS`` with this interpreter (no reliance on PATH)."""
    return [sys.executable, "-m", "commands.main", *args]


def venv_tool(name: str) -> str:
    """A console script installed beside this interpreter, e.g. functions-framework."""
    return str(Path(sys.executable).parent / name)


def restart_delay(restarts: Sequence[float], now: float) -> float | None:
    """The wait before the next restart after ``restarts`` (monotonic times), or None."""
    recent = sum(1 for moment in restarts if now - moment < RESTART_WINDOW_SECONDS)
    if recent >= MAX_RESTARTS:
        return None
    delay: float = min(MAX_RESTART_BACKOFF_SECONDS, RESTART_BACKOFF_SECONDS * 2**recent)
    return delay


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    where: str  # what to show: a URL, a port, a description
    args: Sequence[str] = ()
    env: dict[str, str] | None = None
    restarts: list[float] = field(default_factory=list)  # monotonic times of restarts

    def restart_delay(self, now: float) -> float | None:
        """Seconds to wait before the next restart, or None when the stack gives up."""
        return restart_delay(self.restarts, now)

    def tail(self) -> str:
        lines = self.log.read_text(errors="replace").splitlines() if self.log.exists() else []
        return "\n".join(lines[-LOG_TAIL_LINES:])


@dataclass
class Children:
    """The children started so far, in start order."""

    logs: Path
    started: list[Child] = field(default_factory=list)

    def start(
        self, name: str, args: Sequence[str], where: str, env: dict[str, str] | None = None
    ) -> Child:
        """Spawn a child with a fresh log file $COINPULSE_HOME/logs/<name>.log."""
        self.logs.mkdir(parents=True, exist_ok=True)
        log = self.logs / f"{name}.log"
        log.write_bytes(b"")
        child = Child(name, localproc.spawn(args, log, env), log, where, list(args), env)
        self.started.append(child)
        return child

    def restart(self, child: Child, now: float) -> None:
        """Start a dead child again with the same command; its log goes on."""
        with child.log.open("ab") as log:
            log.write(f"--- restarted after exit {child.process.returncode} ---\n".encode())
        child.process = localproc.spawn(child.args, child.log, child.env)
        child.restarts.append(now)

    def exited(self) -> list[Child]:
        """Children that are no longer running."""
        return [child for child in self.started if child.process.poll() is not None]

    def stop(self, name: str) -> None:
        """Stop the children of that name (SIGTERM, SIGKILL after the grace)."""
        for child in self.started:
            if child.name == name:
                localproc.stop(child.process)

    def stop_all(self) -> None:
        """Stop every child, last started first (SIGTERM, SIGKILL after the grace)."""
        for child in reversed(self.started):
            localproc.stop(child.process)
