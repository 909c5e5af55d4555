"""The dashboard's two readers: the local DuckDB warehouse and BigQuery's marts.

Each turns a ``dashboards.local.queries.Query`` into rows of plain values, or raises
``Unavailable`` saying why not, so the dashboard serves its last good answer:

- DuckDB: one read-only connection per query (commands.warehouse_db), waiting at most
  DUCKDB_LOCK_WAIT_SECONDS for a writer (a load, a dbt build) to finish; a missing file
  or a mart not built yet is Unavailable too.
- BigQuery: a query job with named parameters, with the caller's credentials
  (coinpulse.bigquery_client; BIGQUERY_API_ENDPOINT for an emulator); NotFound and
  every other API or credentials error are Unavailable. The client retries transient
  errors itself; nothing else is retried here.
"""

from __future__ import annotations

from collections.abc import Sequence
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


def _rows(names: Sequence[str], values: Sequence[Sequence[Any]]) -> list[Row]:
    return [dict(zip(names, row, strict=True)) for row in values]


def duckdb_reader(path: Path, wait: float = DUCKDB_LOCK_WAIT_SECONDS) -> Reader:
    """Rows from the DuckDB warehouse at ``path``."""

    def read(query: Query) -> list[Row]:
        if not path.exists():
            raise Unavailable(f"no warehouse at {path} yet")
        try:
            with warehouse_db.read(path, wait) as connection:
                cursor = connection.execute(query.sql, query.params)
                names = [column[0] for column in cursor.description or ()]
                return _rows(names, cursor.fetchall())
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
