"""``coinpulse dashboard``: its flags, its refusals, and a query shared by one refresh."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from fixtures_marts import PAIRS

from commands import dashboard, dashboard_readers, localproc
from dashboards.local import queries


@pytest.mark.unit
@pytest.mark.parametrize("uri", ["bigquery://", "bigquery://p/crypto_mart", "bq://p"])
def test_a_bigquery_warehouse_is_bigquery_project(uri: str) -> None:
    with pytest.raises(ValueError, match="bigquery://PROJECT"):
        dashboard.bigquery_project(uri)


@pytest.mark.unit
def test_a_bigquery_uri_names_the_project() -> None:
    assert dashboard.bigquery_project("bigquery://my-project") == "my-project"


@pytest.mark.integration
def test_a_taken_port_is_refused_with_exit_status_2(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            dashboard.command(tmp_path / "warehouse.duckdb", port),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2
    assert f"port {port}" in result.stderr


@pytest.mark.integration
def test_it_prints_its_url_and_serves_before_any_warehouse_exists(tmp_path: Path) -> None:
    port = localproc.free_port()
    log = tmp_path / "dashboard.log"
    with (
        dashboard.serving(tmp_path / "none-yet.duckdb", port, log),
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as page,
    ):
        assert b"lightweight-charts" in page.read()
    assert f"http://127.0.0.1:{port}/" in log.read_text()


WRITE_AT_ONCE = """
import sys
from pathlib import Path
from commands import warehouse_db
with warehouse_db.transaction(Path(sys.argv[1]), timeout=float(sys.argv[2])) as connection:
    connection.execute("CREATE TABLE IF NOT EXISTS t AS SELECT 1 AS x")
"""


def write_from_another_process(path: Path, timeout: float) -> int:
    command = [sys.executable, "-c", WRITE_AT_ONCE, str(path), str(timeout)]
    return subprocess.run(command, capture_output=True, timeout=60, check=False).returncode


@pytest.mark.integration
def test_the_reader_holds_the_file_only_for_a_refresh(marts_warehouse: Path) -> None:
    read = dashboard_readers.duckdb_reader(marts_warehouse, wait=0.5)
    assert [row["symbol"] for row in read(queries.latest(queries.DUCKDB))] == list(PAIRS)
    with dashboard_readers.SharedReads(marts_warehouse, 0.5).cursor():
        assert write_from_another_process(marts_warehouse, 0.2) != 0  # held: the writer waits
    time.sleep(3 * dashboard_readers.IDLE_SECONDS)
    assert write_from_another_process(marts_warehouse, 0.2) == 0  # let go once idle
