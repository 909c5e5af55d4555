"""The dashboard's queries on BigQuery (the emulator) give what they give on DuckDB.

The same marts (fixtures_marts.py) are built in DuckDB and loaded, with real load
jobs, into ``crypto_mart`` and ``crypto_raw`` datasets on the BigQuery API emulator;
every panel's query then runs through each warehouse's reader of
commands/dashboard_readers.py, in each warehouse's dialect.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fixtures_bigquery import PROJECT
from fixtures_marts import MINUTES, START, fill
from google.cloud import bigquery

from coinpulse import bigquery_client, schemas
from commands import dashboard, dashboard_readers
from dashboards.local import queries
from dashboards.local.queries import Dialect, Query

pytestmark = pytest.mark.integration

DATASETS = (queries.MART, queries.RAW)
# The raw tables the dashboard reads.
RAW_TABLES = ("stream_prices", "completeness_checks", "dead_letters")
# DuckDB types of the test marts -> BigQuery's (DECIMAL(38, 9) is NUMERIC; the wider
# scales, which NUMERIC cannot hold, are floats here: the page reads them as floats).
BIGQUERY_TYPES = {"VARCHAR": "STRING", "DOUBLE": "FLOAT64", "BIGINT": "INT64", "DATE": "DATE"}


def bigquery_type(duckdb_type: str) -> str:
    if duckdb_type.startswith("DECIMAL"):
        return "NUMERIC" if duckdb_type.endswith(",9)") else "FLOAT64"
    if duckdb_type.startswith("TIMESTAMP"):
        return "TIMESTAMP"
    return BIGQUERY_TYPES[duckdb_type]


def schema_of(
    local: duckdb.DuckDBPyConnection, dataset: str, name: str
) -> list[bigquery.SchemaField]:
    """Raw tables: their schema files, as Terraform creates them; marts: their DuckDB columns."""
    if dataset == queries.RAW:
        return [bigquery.SchemaField.from_api_repr(dict(f)) for f in schemas.fields(name)]
    columns = local.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [dataset, name],
    ).fetchall()
    return [bigquery.SchemaField(column, bigquery_type(kind)) for column, kind in columns]


def json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def copy_tables(local: duckdb.DuckDBPyConnection, client: bigquery.Client) -> None:
    """Every table of the two datasets, schema and rows, with one load job each."""
    tables = local.execute(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_schema IN (?, ?)",
        list(DATASETS),
    ).fetchall()
    for dataset, name in tables:
        if dataset == queries.RAW and name not in RAW_TABLES:
            continue
        schema = schema_of(local, dataset, name)
        table = f"{PROJECT}.{dataset}.{name}"
        client.create_table(bigquery.Table(table, schema=schema))
        result = local.execute(f"SELECT * FROM {dataset}.{name}")
        names = [column[0] for column in result.description or ()]
        lines = [
            json.dumps({n: json_value(v) for n, v in zip(names, row, strict=True)})
            for row in result.fetchall()
        ]
        if lines:
            config = bigquery.LoadJobConfig(source_format="NEWLINE_DELIMITED_JSON")
            payload = io.BytesIO("\n".join(lines).encode())
            client.load_table_from_file(payload, table, job_config=config).result(timeout=60)


@pytest.fixture
def bigquery_marts(bigquery_endpoint: str) -> Iterator[bigquery.Client]:
    """crypto_mart and crypto_raw on the emulator, holding the test marts."""
    client = bigquery_client.connect(PROJECT, endpoint=bigquery_endpoint)
    for dataset in DATASETS:
        client.delete_dataset(f"{PROJECT}.{dataset}", delete_contents=True, not_found_ok=True)
        client.create_dataset(f"{PROJECT}.{dataset}")
    with duckdb.connect() as local:
        fill(local)
        copy_tables(local, client)
    yield client
    for dataset in DATASETS:
        client.delete_dataset(f"{PROJECT}.{dataset}", delete_contents=True, not_found_ok=True)


def every_panel(d: Dialect) -> dict[str, Query]:
    newest_held = START + timedelta(minutes=MINUTES - 2)
    return {
        "latest": queries.latest(d),
        "candles, first read": queries.candles(d, "BTCUSDT", "15m", None),
        "candles, refresh": queries.candles(d, "ETHUSDT", "1m", newest_held),
        "average prices": queries.average_prices(d, None),
        "average prices, refresh": queries.average_prices(d, newest_held),
        "volatility": queries.volatility(d),
        "day candles": queries.day_candles(d, "ADAUSDT"),
        "freshness": queries.freshness(d),
        "completeness": queries.completeness(d),
        "pipeline health": queries.pipeline_health(d),
        "dead letters": queries.dead_letters(d),
    }


def test_every_panel_reads_the_same_rows_from_bigquery_as_from_duckdb(
    bigquery_marts: bigquery.Client, tmp_path: Path
) -> None:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as connection:
        fill(connection)
    on_duckdb = dashboard_readers.duckdb_reader(path)
    on_bigquery = dashboard_readers.bigquery_reader(bigquery_marts)
    local_panels = every_panel(queries.DUCKDB)
    for name, query in every_panel(queries.bigquery(PROJECT)).items():
        expected = on_duckdb(local_panels[name])
        assert expected, f"{name}: no rows to compare"
        assert on_bigquery(query) == [pytest.approx(row) for row in expected], name


def test_the_dashboard_reads_bigquery_with_the_environment_s_client(
    bigquery_marts: bigquery.Client, monkeypatch: pytest.MonkeyPatch, bigquery_endpoint: str
) -> None:
    monkeypatch.setenv(bigquery_client.ENDPOINT_ENV, bigquery_endpoint)
    served = dashboard.dashboard_for(f"bigquery://{PROJECT}")
    answer = served.answers.ask(queries.latest(served.dialect))
    assert [row["symbol"] for row in answer.rows] == ["BTCUSDT", "ETHUSDT", "ADAUSDT"]
