"""The local warehouse: BigQuery's tables in DuckDB, each object generation loaded once."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from coinpulse import lake
from commands import warehouse_db
from commands.duckdb_warehouse import LEDGER, DuckDBWarehouse
from functions.loader import jobs, objects

pytestmark = pytest.mark.integration

WINDOWS = "stream_prices/dt=2026-05-18/hh=12/stream_prices-20260518T121010Z-p0-{}.jsonl"
MARKETS = "coingecko/markets/snapshot_date=2026-05-18/markets.parquet"
OHLC = "coingecko/ohlc/snapshot_date=2026-05-18/ohlc.parquet"


@pytest.fixture
def warehouse(tmp_path: Path, lake_objects: Any) -> DuckDBWarehouse:
    return DuckDBWarehouse(tmp_path / "warehouse.duckdb", lake_objects.store)


def query(warehouse: DuckDBWarehouse, sql: str) -> list[tuple[Any, ...]]:
    with warehouse_db.read(warehouse.path) as connection:
        return connection.execute(sql).fetchall()


def load(warehouse: DuckDBWarehouse, lake_objects: Any, name: str, payload: bytes) -> Any:
    _, source = lake_objects.upload(name, payload)
    target = lake.resolve(name)
    assert target
    return warehouse.load(source, target)


def test_an_object_loads_once_however_often_its_event_comes(
    warehouse: DuckDBWarehouse, lake_objects: Any, samples: Any
) -> None:
    payload = samples.jsonl(samples.window_row(), samples.window_row("ETHUSDT"))
    _, source = lake_objects.upload(WINDOWS.format("a"), payload)
    target = lake.resolve(source.name)
    assert target
    first = warehouse.load(source, target)
    again = warehouse.load(source, target)
    assert (first.rows, first.already_loaded) == (2, False)
    assert (again.rows, again.already_loaded, again.job_id) == (2, True, first.job_id)
    assert query(warehouse, "SELECT count(*) FROM crypto_raw.stream_prices") == [(2,)]
    ledger = query(
        warehouse, f"SELECT job_id, bucket, name, generation, table_name, rows FROM {LEDGER}"
    )
    assert ledger == [
        (first.job_id, source.bucket, source.name, source.generation, "stream_prices", 2)
    ]
    assert first.job_id == jobs.job_id(
        "stream_prices", source.bucket, source.name, source.generation
    )


def test_every_object_of_a_table_adds_its_rows(
    warehouse: DuckDBWarehouse, lake_objects: Any, samples: Any
) -> None:
    load(warehouse, lake_objects, WINDOWS.format("a"), samples.jsonl(samples.window_row()))
    later_pane = samples.jsonl(samples.window_row(pane=1))
    load(warehouse, lake_objects, WINDOWS.format("b"), later_pane)
    panes = query(
        warehouse, "SELECT pane_index, trade_count FROM crypto_raw.stream_prices ORDER BY 1"
    )
    assert panes == [(0, 3), (1, 4)]


def test_a_bad_object_writes_nothing(
    warehouse: DuckDBWarehouse, lake_objects: Any, samples: Any
) -> None:
    row = samples.window_row()
    row["unexpected"] = True
    with pytest.raises(objects.BadObject):
        load(warehouse, lake_objects, WINDOWS.format("a"), samples.jsonl(row))
    warehouse.initialize()
    assert query(warehouse, f"SELECT count(*) FROM {LEDGER}") == [(0,)]


def test_a_markets_rerun_replaces_its_date(
    warehouse: DuckDBWarehouse, lake_objects: Any, samples: Any
) -> None:
    load(warehouse, lake_objects, MARKETS, samples.markets_parquet(("bitcoin", "ethereum")))
    with duckdb.connect(str(warehouse.path)) as connection:
        connection.execute(
            "INSERT INTO crypto_raw.coingecko_markets SELECT * REPLACE (DATE '2026-05-17' AS "
            "snapshot_date) FROM crypto_raw.coingecko_markets"
        )
    rerun = load(warehouse, lake_objects, MARKETS, samples.markets_parquet(("solana",)))
    assert rerun.rows == 1 and not rerun.already_loaded
    stored = query(
        warehouse,
        "SELECT snapshot_date::VARCHAR, coin_id FROM crypto_raw.coingecko_markets ORDER BY ALL",
    )
    assert stored == [
        ("2026-05-17", "bitcoin"),
        ("2026-05-17", "ethereum"),
        ("2026-05-18", "solana"),
    ]


def test_candles_upsert_on_their_key_and_never_go_back_in_time(
    warehouse: DuckDBWarehouse, lake_objects: Any, samples: Any
) -> None:
    load(warehouse, lake_objects, OHLC, samples.candles_parquet(("bitcoin", "ethereum")))
    later = samples.candles_parquet(("bitcoin",), fetched=samples.FETCHED + timedelta(hours=1))
    load(warehouse, lake_objects, OHLC, later)
    earlier = samples.candles_parquet(("bitcoin",), fetched=samples.FETCHED - timedelta(hours=1))
    load(warehouse, lake_objects, OHLC, earlier)
    counts = query(
        warehouse,
        "SELECT coin_id, count(*), count(DISTINCT candle_close_time), max(ingested_at) "
        "FROM crypto_raw.coingecko_ohlc_candles GROUP BY 1 ORDER BY 1",
    )
    (btc, btc_rows, btc_keys, btc_newest), (eth, eth_rows, eth_keys, eth_newest) = counts
    assert (btc, eth) == ("bitcoin", "ethereum")
    assert btc_rows == btc_keys == 48 + 2 + 2  # an hour later: two more candles
    assert eth_rows == eth_keys == 48
    assert btc_newest - eth_newest == timedelta(hours=1)
    stale = query(
        warehouse,
        "SELECT count(*) FROM crypto_raw.coingecko_ohlc_candles "
        f"WHERE ingested_at < TIMESTAMPTZ '{samples.FETCHED.isoformat()}'",
    )
    assert stale == [(2,)]  # the earlier fetch only added the two candles nobody else had


def test_the_tables_are_the_schema_files_in_every_dataset(warehouse: DuckDBWarehouse) -> None:
    warehouse.initialize()
    schemas_found = query(warehouse, "SELECT schema_name FROM information_schema.schemata")
    assert {"crypto_raw", "crypto_staging", "crypto_mart"} <= {row[0] for row in schemas_found}
    tables = query(
        warehouse,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'crypto_raw'",
    )
    assert {row[0] for row in tables} == {route.table for route in lake.ROUTES} | {"_load_ledger"}
