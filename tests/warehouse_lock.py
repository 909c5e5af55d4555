"""Another process holding the DuckDB warehouse's write lock, as a load or a dbt build does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HOLD = """
import sys, time
from pathlib import Path
from commands import warehouse_db
with warehouse_db.transaction(Path(sys.argv[1])) as connection:
    connection.execute("CREATE TABLE IF NOT EXISTS t AS SELECT 42 AS answer")
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def hold_write_lock(path: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process in a write transaction for ``seconds``."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "holding"
    return process
