"""The dashboard's two readers: the local DuckDB warehouse and BigQuery's marts.

Each turns a ``dashboards.local.queries.Query`` into rows of plain values, or raises
``Unavailable`` saying why not, so the dashboard serves its last good answer:

- DuckDB: a read-only connection (commands.warehouse_db) shared by the queries of one
  page refresh and closed right after (``SharedReads``), waiting at most
  DUCKDB_LOCK_WAIT_SECONDS for a writer (a load, a dbt build) to finish; a missing file
  or a mart not built yet is Unavailable too.
- BigQuery: a query job with named parameters, with the caller's credentials
  (coinpulse.bigquery_client; BIGQUERY_API_ENDPOINT for an emulator); NotFound and
  every other API or credentials error are Unavailable. The client retries transient
  errors itself; nothing else is retried here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
from google.api_core.exceptions import GoogleAPIError
from google.auth.exceptions import GoogleAuthError
from google.cloud import bigquery

from commands import warehouse_db
from dashboards.local.answers import Reader, Row, Unavailable
from dashboards.local.queries import Query, Value

# Shorter than the page's 5 s refresh: a reader that waits longer only delays the
# last good answer; a dbt build of the local marts holds the lock for a few seconds.
DUCKDB_LOCK_WAIT_SECONDS = 3.0
BIGQUERY_TIMEOUT_SECONDS = 30.0  # one panel's query job, start to rows
# A page refresh's queries arrive within a few tens of milliseconds of each other; a
# loader's or dbt's open retries with backoff of up to 1 s (commands/warehouse_db.py).
IDLE_SECONDS = 0.2
HOLD_SECONDS = 1.0


def _rows(names: Sequence[str], values: Sequence[Sequence[Any]]) -> list[Row]:
    return [dict(zip(names, row, strict=True)) for row in values]


class SharedReads:
    """One read-only connection shared by the queries of a page refresh, then closed.

    Opening the file costs tens of milliseconds, more than most panels' queries, and a
    refresh asks several at once. The first query opens the connection; queries that
    come while it is open use it (a cursor each, so threads do not share one); it is
    closed once no query used it for IDLE_SECONDS, and not reused past HOLD_SECONDS, so
    a writer waits at most about that long for this reader.
    """

    def __init__(self, path: Path, wait: float) -> None:
        self.path = path
        self.wait = wait
        self._lock = threading.Lock()
        self._connection: duckdb.DuckDBPyConnection | None = None
        self._opened = self._last_used = 0.0
        self._users = 0

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on the shared connection. Raises WarehouseBusy, duckdb.IOException."""
        with self._lock:
            if self._connection is None:
                self._connection = warehouse_db.open_read_only(self.path, self.wait)
                self._opened = time.monotonic()
            self._users += 1
            cursor = self._connection.cursor()
        try:
            yield cursor
        finally:
            cursor.close()
            self._release()

    def _release(self) -> None:
        with self._lock:
            self._users -= 1
            self._last_used = time.monotonic()
            if self._users == 0:
                if self._last_used - self._opened >= HOLD_SECONDS:
                    self._close()
                else:
                    timer = threading.Timer(IDLE_SECONDS, self._close_when_idle)
                    timer.daemon = True
                    timer.start()

    def _close_when_idle(self) -> None:
        with self._lock:
            idle = time.monotonic() - self._last_used >= IDLE_SECONDS * 0.9
            if self._users == 0 and idle:
                self._close()

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def duckdb_reader(path: Path, wait: float = DUCKDB_LOCK_WAIT_SECONDS) -> Reader:
    """Rows from the DuckDB warehouse at ``path``."""
    shared = SharedReads(path, wait)

    def read(query: Query) -> list[Row]:
        if not path.exists():
            raise Unavailable(f"no warehouse at {path} yet")
        try:
            with shared.cursor() as cursor:
                result = cursor.execute(query.sql, query.params)
                names = [column[0] for column in result.description or ()]
                return _rows(names, result.fetchall())
        except warehouse_db.WarehouseBusy:
            raise Unavailable(f"{path} is busy (a load or a dbt build is writing)") from None
        except duckdb.CatalogException:
            tables = ", ".join(query.tables)
            raise Unavailable(f"{tables}: not in the warehouse yet") from None
        except duckdb.IOException as error:
            raise Unavailable(f"{path}: {error}") from None

    return read


def _parameter(name: str, value: Value) -> bigquery.ScalarQueryParameter:
    kind = (
        "TIMESTAMP"
        if isinstance(value, datetime)
        else "INT64"
        if isinstance(value, int)
        else "STRING"
    )
    return bigquery.ScalarQueryParameter(name, kind, value)


def bigquery_reader(client: bigquery.Client) -> Reader:
    """Rows from BigQuery through ``client`` (its project holds crypto_mart, crypto_raw)."""

    def read(query: Query) -> list[Row]:
        config = bigquery.QueryJobConfig(
            query_parameters=[_parameter(name, value) for name, value in query.params.items()]
        )
        try:
            result = client.query(query.sql, job_config=config).result(
                timeout=BIGQUERY_TIMEOUT_SECONDS
            )
            return [dict(row.items()) for row in result]
        except (GoogleAPIError, GoogleAuthError, TimeoutError) as error:
            raise Unavailable(f"BigQuery: {error}") from None

    return read
