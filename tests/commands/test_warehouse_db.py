"""Sharing the DuckDB warehouse between processes: waits instead of lock errors, bounded."""

import subprocess
import sys
import time
from pathlib import Path

import pytest
from warehouse_lock import hold_write_lock

from commands import warehouse_db

pytestmark = pytest.mark.integration


def test_a_reader_waits_for_a_writer_then_reads(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    writer = hold_write_lock(path, 1.5)
    started = time.monotonic()
    with warehouse_db.read(path) as connection:
        assert connection.execute("SELECT answer FROM t").fetchall() == [(42,)]
    assert time.monotonic() - started > 0.5
    assert writer.wait(10) == 0


def test_a_writer_gives_up_after_its_timeout(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    writer = hold_write_lock(path, 3)
    with (
        pytest.raises(warehouse_db.WarehouseBusy, match="stayed locked"),
        warehouse_db.transaction(path, timeout=0.5),
    ):
        pass
    writer.wait(10)
    with warehouse_db.transaction(path) as connection:  # free again
        connection.execute("INSERT INTO t VALUES (43)")


def test_one_query_from_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    with warehouse_db.transaction(path) as connection:
        connection.execute("CREATE TABLE t AS SELECT 42 AS answer")
    result = subprocess.run(
        [sys.executable, "-m", "commands.warehouse_db", "--path", str(path), "SELECT * FROM t"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "answer" in result.stdout and "42" in result.stdout
