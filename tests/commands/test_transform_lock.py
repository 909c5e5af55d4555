"""coinpulse transform waits out another process's lock on the local warehouse."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from commands import transform, warehouse_db
from commands.duckdb_warehouse import create_tables

pytestmark = pytest.mark.integration

HOLD_SECONDS = 8.0
HOLDER = """
import sys, time, duckdb
connection = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_a_run_that_meets_a_writers_lock_retries_until_it_is_free(tmp_path: Path) -> None:
    path = tmp_path / warehouse_db.FILE_NAME
    with warehouse_db.transaction(path) as connection:
        create_tables(connection)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), str(HOLD_SECONDS)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        env = {**os.environ, "COINPULSE_HOME": str(tmp_path)}
        code = transform.run("local", transform.MODELS_ONLY, base_env=env)
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert code == 0
    with warehouse_db.read(path) as connection:
        tables = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'crypto_mart'"
        ).fetchall()
    assert {name for (name,) in tables} >= {"mart_ohlc", "mart_crypto_prices"}
    # dbt cannot open a file another process writes: it finished after the release.
    assert waited >= HOLD_SECONDS - 0.5
