"""The local warehouse: BigQuery's datasets and raw tables as schemas of one DuckDB file.

Tables are created from the same schema files as BigQuery's (``coinpulse.schemas``),
under the same names (``crypto_raw.stream_prices`` and so on). Exactly once: every
load writes its rows and a row of the ledger ``crypto_raw._load_ledger`` (job id =
the BigQuery job id of the same object generation, primary key) in one
transaction, and a load whose job id is in the ledger writes nothing. The object
is read and checked before the transaction opens, so the file is locked only for
the write itself (commands.warehouse_db says how writers and readers share it).

Writes: APPEND inserts; REPLACE_DATE deletes the object's date and inserts;
UPSERT deletes the stored rows that the object's rows replace (same key, version
not older) and inserts the object's rows whose key is not stored.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from coinpulse import lake, schemas
from commands import warehouse_db
from functions.loader import jobs, objects
from functions.loader.events import StorageObject
from functions.loader.store import ObjectStore
from functions.loader.warehouse import LoadResult, Warehouse

LEDGER = f"{warehouse_db.RAW}._load_ledger"
LEDGER_COLUMNS = (
    "job_id VARCHAR PRIMARY KEY, bucket VARCHAR NOT NULL, name VARCHAR NOT NULL, "
    "generation BIGINT NOT NULL, table_name VARCHAR NOT NULL, rows BIGINT NOT NULL, "
    "loaded_at TIMESTAMPTZ NOT NULL"
)
# DuckDB's errors for values a table refuses: a bad object, never worth a retry.
REFUSED = (duckdb.ConversionException, duckdb.ConstraintException, duckdb.InvalidInputException)


def table_name(route: lake.Route) -> str:
    return f"{route.dataset}.{route.table}"


def create_tables(connection: duckdb.DuckDBPyConnection) -> None:
    """The datasets, every route's table and the ledger, where missing."""
    for dataset in warehouse_db.DATASETS:
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS {dataset}")
    for route in lake.ROUTES:
        columns = schemas.duckdb_columns(route.table)
        connection.execute(f"CREATE TABLE IF NOT EXISTS {table_name(route)} ({columns})")
    connection.execute(f"CREATE TABLE IF NOT EXISTS {LEDGER} ({LEDGER_COLUMNS})")


def _columns(route: lake.Route) -> str:
    return ", ".join(f'"{field["name"]}"' for field in schemas.fields(route.table))


def _insert(connection: duckdb.DuckDBPyConnection, route: lake.Route, where: str = "") -> None:
    columns = _columns(route)
    connection.execute(
        f"INSERT INTO {table_name(route)} ({columns}) SELECT {columns} FROM incoming AS s {where}"
    )


def _append(connection: duckdb.DuckDBPyConnection, route: lake.Route, day: date | None) -> None:
    _insert(connection, route)


def _replace_date(
    connection: duckdb.DuckDBPyConnection, route: lake.Route, day: date | None
) -> None:
    connection.execute(
        f'DELETE FROM {table_name(route)} WHERE "{route.partitioning.field}" = ?', [day]
    )
    _insert(connection, route)


def _upsert(connection: duckdb.DuckDBPyConnection, route: lake.Route, day: date | None) -> None:
    same_key = " AND ".join(f't."{column}" = s."{column}"' for column in route.key)
    newer = f' AND s."{route.version}" >= t."{route.version}"' if route.version else ""
    connection.execute(
        f"DELETE FROM {table_name(route)} AS t USING incoming AS s WHERE {same_key}{newer}"
    )
    stored = f"SELECT 1 FROM {table_name(route)} AS t WHERE {same_key}"
    _insert(connection, route, f"WHERE NOT EXISTS ({stored})")


WRITES: dict[str, Callable[[duckdb.DuckDBPyConnection, lake.Route, date | None], None]] = {
    lake.APPEND: _append,
    lake.REPLACE_DATE: _replace_date,
    lake.UPSERT: _upsert,
}


class DuckDBWarehouse(Warehouse):
    """Loads objects of the lake (the emulated bucket, or a local folder) into the DuckDB
    file at ``path``.

    Raises objects.BadObject for objects that cannot load, warehouse_db.WarehouseBusy
    when the file stays locked, and the store's errors (google.api_core's, OSError)
    when the object cannot be read; the last two are retried through the event.
    """

    def __init__(self, path: Path, storage: ObjectStore) -> None:
        self.path = path
        self.storage = storage

    def initialize(self) -> None:
        """Create the datasets and tables now (loads also create them when missing)."""
        with warehouse_db.transaction(self.path) as connection:
            create_tables(connection)

    def load(self, source: StorageObject, target: lake.Target) -> LoadResult:
        route = target.route
        job_id = jobs.job_id(route.table, source.bucket, source.name, source.generation)
        incoming = objects.read_table(self.storage.read(source), target)
        with warehouse_db.transaction(self.path) as connection:
            create_tables(connection)
            done = connection.execute(
                f"SELECT rows FROM {LEDGER} WHERE job_id = ?", [job_id]
            ).fetchone()
            if done:
                return LoadResult(job_id, int(done[0]), already_loaded=True)
            connection.register("incoming", incoming)
            try:
                WRITES[route.write](connection, route, target.day)
            except REFUSED as error:
                raise objects.BadObject(f"{table_name(route)} refused the rows: {error}") from None
            connection.execute(
                f"INSERT INTO {LEDGER} VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    job_id,
                    source.bucket,
                    source.name,
                    source.generation,
                    route.table,
                    incoming.num_rows,
                    datetime.now(UTC),
                ],
            )
        return LoadResult(job_id, incoming.num_rows)
