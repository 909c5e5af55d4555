"""The local stack's loader under functions-framework, receiving real CloudEvents over HTTP.

Objects live in the GCS emulator; the loader runs as ``functions-framework --target
on_finalize --source commands/stack/loader_function.py`` over the local DuckDB warehouse,
as in ``coinpulse demo``.
"""

import json
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import google.cloud.storage as gcs
import pytest
import requests
from cloudevents.conversion import to_binary
from cloudevents.http import CloudEvent

from coinpulse import lake, schemas
from commands import localproc, warehouse_db
from commands.stack import launch
from functions.loader import events

pytestmark = pytest.mark.integration

WINDOWS = "stream_prices/dt=2026-05-18/hh=12/stream_prices-20260518T121010Z-p{}-{}.jsonl"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def loader_url(
    tmp_path: Path, home: Path, storage_emulator: str, bucket: gcs.Bucket
) -> Iterator[str]:
    port = localproc.free_port()
    command = [str(Path(sys.executable).parent / "functions-framework"), "--target", "on_finalize"]
    command += ["--source", str(launch.LOADER_SOURCE), "--port", str(port)]
    env = {
        "COINPULSE_HOME": str(home),
        "STORAGE_EMULATOR_HOST": storage_emulator,
    }
    process = localproc.spawn(command, tmp_path / "loader.log", env)
    try:
        localproc.wait_for_port(port, process, timeout=60)
        yield f"http://127.0.0.1:{port}/"
    finally:
        localproc.stop(process)


def post(url: str, event: CloudEvent) -> int:
    headers, body = to_binary(event)
    return requests.post(url, data=body, headers=headers, timeout=120).status_code


def query(home: Path, sql: str) -> list[tuple[Any, ...]]:
    with warehouse_db.read(home / "warehouse.duckdb") as connection:
        return connection.execute(sql).fetchall()


def test_each_object_loads_once_whatever_the_redeliveries(
    loader_url: str, home: Path, upload: Any, samples: Any
) -> None:
    first = upload(
        WINDOWS.format(0, "a"), samples.jsonl(samples.window_row(), samples.window_row("ETHUSDT"))
    )
    second = upload(WINDOWS.format(1, "b"), samples.jsonl(samples.window_row(pane=1)))
    statuses = [post(loader_url, event) for event in (first, second, first, second, first)]
    assert statuses == [200] * 5
    assert query(home, "SELECT count(*) FROM crypto_raw.stream_prices") == [(3,)]
    assert query(home, "SELECT count(*), sum(rows) FROM crypto_raw._load_ledger") == [(2, 3)]
    notes = upload(f"{lake.QUARANTINE_PREFIX}x.jsonl", b"{}"), upload("_SUCCESS", b"")
    assert [post(loader_url, event) for event in notes] == [200, 200]
    assert query(home, "SELECT count(*) FROM crypto_raw._load_ledger") == [(2,)]


def test_poison_objects_are_quarantined_and_acknowledged(
    loader_url: str, home: Path, bucket: gcs.Bucket, upload: Any, samples: Any
) -> None:
    wrong_schema = samples.window_row()
    wrong_schema["price"] = "1"
    poison = {
        WINDOWS.format(0, "garbage"): b"\x00\x01 not json\n",
        WINDOWS.format(0, "schema"): samples.jsonl(wrong_schema),
    }
    for name, payload in poison.items():
        event = upload(name, payload)
        assert post(loader_url, event) == 200
        assert post(loader_url, event) == 200  # a redelivery quarantines the same copy again
        copy = bucket.get_blob(lake.QUARANTINE_PREFIX + name)
        assert copy is not None and copy.download_as_bytes() == payload
        report = json.loads(
            bucket.blob(f"{lake.QUARANTINE_PREFIX}{name}.error.json").download_as_text()
        )
        assert report["object"] == name and report["table"] == "stream_prices" and report["error"]
    assert not (home / "warehouse.duckdb").exists()  # nothing was written
    old = samples.finalize_event(
        WINDOWS.format(0, "garbage"), 1, time=datetime.now(UTC) - events.MAX_EVENT_AGE * 2
    )
    assert post(loader_url, old) == 200  # dropped, with an error line


def columns(connection: duckdb.DuckDBPyConnection, table: str) -> list[tuple[Any, ...]]:
    return connection.execute(
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_name = ? ORDER BY ordinal_position",
        [table],
    ).fetchall()


def test_coingecko_files_land_in_tables_with_the_bigquery_schemas(
    loader_url: str, home: Path, upload: Any, samples: Any
) -> None:
    markets, ohlc = (
        lake.coingecko_object(lake.COINGECKO_MARKETS, samples.DAY),
        lake.coingecko_object(lake.COINGECKO_OHLC, samples.DAY),
    )
    first_markets = upload(markets, samples.markets_parquet(("bitcoin", "ethereum")))
    candles = upload(ohlc, samples.candles_parquet(("bitcoin", "ethereum")))
    rerun_markets = upload(markets, samples.markets_parquet(("solana",)))
    assert [post(loader_url, event) for event in (first_markets, candles, rerun_markets)] == [
        200
    ] * 3
    assert post(loader_url, first_markets) == 200  # a late event of the replaced generation
    assert query(home, "SELECT coin_id FROM crypto_raw.coingecko_markets") == [("solana",)]
    assert query(home, "SELECT count(*) FROM crypto_raw.coingecko_ohlc_candles") == [(96,)]
    expected = duckdb.connect()
    with warehouse_db.read(home / "warehouse.duckdb") as warehouse:
        for table in ("coingecko_markets", "coingecko_ohlc_candles"):
            expected.execute(f"CREATE TABLE {table} ({schemas.duckdb_columns(table)})")
            assert columns(warehouse, table) == columns(expected, table)
            assert [name for name, _, _ in columns(warehouse, table)] == [
                field["name"] for field in schemas.fields(table)
            ]


def test_a_load_waits_for_a_reader_and_is_not_lost(
    loader_url: str, home: Path, upload: Any, samples: Any
) -> None:
    event = upload(WINDOWS.format(0, "a"), samples.jsonl(samples.window_row()))
    assert post(loader_url, event) == 200
    second = upload(WINDOWS.format(1, "b"), samples.jsonl(samples.window_row(pane=1)))
    statuses: list[int] = []
    with warehouse_db.read(home / "warehouse.duckdb"):  # a dashboard holding the file
        delivery = threading.Thread(target=lambda: statuses.append(post(loader_url, second)))
        delivery.start()
        time.sleep(2)
        assert statuses == []  # the loader is waiting for the lock
    delivery.join(60)
    assert statuses == [200]
    assert query(home, "SELECT count(*) FROM crypto_raw.stream_prices") == [(2,)]


def test_a_failed_load_answers_5xx_and_its_redelivery_loads(
    loader_url: str, home: Path, upload: Any, samples: Any
) -> None:
    (home / "warehouse.duckdb").mkdir(parents=True)  # the warehouse cannot be opened
    event = upload(WINDOWS.format(0, "a"), samples.jsonl(samples.window_row()))
    assert post(loader_url, event) == 500
    (home / "warehouse.duckdb").rmdir()
    assert post(loader_url, event) == 200
    assert query(home, "SELECT count(*) FROM crypto_raw.stream_prices") == [(1,)]
