"""The stack's child processes: started in their own process groups, stopped in reverse.

Every child runs in a new session (``localproc.spawn``), so Ctrl-C in the terminal
reaches only ``coinpulse demo``, which then stops the children itself: SIGTERM to
each process group, SIGKILL after a grace period, last started first. Nothing
outlives the demo unless the demo itself is killed with SIGKILL.
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


def coinpulse_command(*args: str) -> list[str]:
    """``coinpulse ARGS`` with this interpreter (no reliance on PATH)."""
    return [sys.executable, "-m", "commands.main", *args]


def venv_tool(name: str) -> str:
    """A console script installed beside this interpreter, e.g. functions-framework."""
    return str(Path(sys.executable).parent / name)


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    where: str  # what to show: a URL, a port, a description

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
        child = Child(name, localproc.spawn(args, log, env), log, where)
        self.started.append(child)
        return child

    def exited(self) -> list[Child]:
        """Children that are no longer running."""
        return [child for child in self.started if child.process.poll() is not None]

    def stop_all(self) -> None:
        """Stop every child, last started first (SIGTERM, SIGKILL after the grace)."""
        for child in reversed(self.started):
            localproc.stop(child.process)
