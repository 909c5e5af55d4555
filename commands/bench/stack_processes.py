"""The processes of one local stack, found by the COINPULSE_HOME they all inherit.

Read from /proc (Linux): a process that ends while it is read is skipped, a zombie
is not counted.
"""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path

PROC = Path("/proc")


def processes_of(home: Path) -> list[int]:
    """Live processes started for this COINPULSE_HOME."""
    marker = f"COINPULSE_HOME={home}".encode()
    found = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().split(") ")[-1][:1]
        except OSError:
            continue
        if marker in environ.split(b"\0") and state != "Z":
            found.append(int(entry.name))
    return found


def process_running(home: Path, *words: str) -> int:
    """The pid of the stack's process whose command line holds these words in order.

    Raises LookupError when none runs (e.g. while the stack restarts it).
    """
    for pid in processes_of(home):
        with suppress(OSError):
            argv = (PROC / str(pid) / "cmdline").read_bytes().decode().split("\0")
            if any(argv[i : i + len(words)] == list(words) for i in range(len(argv))):
                return pid
    raise LookupError(f"no process {' '.join(words)} for {home}")
