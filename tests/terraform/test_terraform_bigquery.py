"""Terraform, the loader and the local warehouse name the same tables with the same schemas.

The Terraform is parsed (python-hcl2; ``make tf-validate`` validates it with the real
provider). Every raw table is one instance of ``google_bigquery_table.raw``, whose
for_each map (``local.raw_tables``) holds each table's layout and whose schema is the
table's file in coinpulse/schemas/; ``terraform fmt -check`` runs when terraform is
installed.
"""

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import duckdb
import pytest

from coinpulse import lake, schemas
from commands import verify, warehouse_db
from commands.duckdb_warehouse import create_tables
from functions.loader import bigquery_warehouse
from tests.terraform.hcl import TERRAFORM, Module, configuration

SCHEMA_FILE = '${file("${path.module}/../coinpulse/schemas/${each.key}.json")}'
HOURS_OF_PARTITIONS = 10_000 // 24  # BigQuery: 10,000 partitions per table
# Raw tables that no lake route fills: coinpulse verify's results.
NOT_ROUTED = {verify.RESULTS_TABLE}


@pytest.fixture(scope="module")
def root() -> Module:
    return configuration()["root"]


def tables(root: Module) -> dict[str, dict[str, Any]]:
    """The raw tables by name: the for_each map of google_bigquery_table.raw."""
    declared: dict[str, dict[str, Any]] = root.locals["raw_tables"]
    return declared


@pytest.mark.unit
def test_the_three_datasets_exist(root: Module) -> None:
    datasets = {body["id"] for body in root.locals["datasets"].values()}
    assert datasets == set(warehouse_db.DATASETS) == {"crypto_raw", "crypto_staging", "crypto_mart"}
    resource = root.of_type("google_bigquery_dataset")["datasets"]
    assert resource["for_each"] == "${local.datasets}"


@pytest.mark.unit
def test_every_loader_route_is_a_terraform_table_of_the_same_layout(root: Module) -> None:
    declared = tables(root)
    assert set(declared) == {route.table for route in lake.ROUTES} | NOT_ROUTED
    assert set(declared) == set(schemas.tables())
    table = root.of_type("google_bigquery_table")["raw"]
    assert table["for_each"] == "${local.raw_tables}"
    assert table["dataset_id"] == '${google_bigquery_dataset.datasets["raw"].dataset_id}'
    assert root.locals["datasets"]["raw"]["id"] == "crypto_raw"
    assert {route.dataset for route in lake.ROUTES} == {"crypto_raw"}
    [partitioning] = table["time_partitioning"]
    assert (partitioning["type"], partitioning["field"]) == (
        "${each.value.partition_unit}",
        "${each.value.partition_field}",
    )
    assert table["clustering"] == "${each.value.clustering}"
    for route in lake.ROUTES:
        layout = declared[route.table]
        assert (layout["partition_unit"], layout["partition_field"]) == (
            route.partitioning.unit,
            route.partitioning.field,
        )
        assert tuple(layout["clustering"]) == route.clustering


@pytest.mark.unit
def test_terraform_loader_and_duckdb_read_the_same_schema_files(root: Module) -> None:
    table = root.of_type("google_bigquery_table")["raw"]
    assert table["schema"] == SCHEMA_FILE
    warehouse = duckdb.connect()
    create_tables(warehouse)
    for name in tables(root):
        path = (TERRAFORM / f"../coinpulse/schemas/{name}.json").resolve()
        assert path == (Path(schemas.__file__).parent / f"{name}.json").resolve()
        fields = json.loads(path.read_text())
        reference = duckdb.connect()
        reference.execute(f"CREATE TABLE t ({schemas.duckdb_columns(name)})")
        derived = reference.execute(
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
            "WHERE table_name = 't' ORDER BY ordinal_position"
        ).fetchall()
        assert [column for column, _, _ in derived] == [field["name"] for field in fields]
        if name in NOT_ROUTED:
            continue
        assert [f.to_api_repr() for f in bigquery_warehouse.schema(name)] == fields
        described = warehouse.execute(
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
            "WHERE table_schema = 'crypto_raw' AND table_name = ? ORDER BY ordinal_position",
            [name],
        ).fetchall()
        assert described == derived


@pytest.mark.unit
def test_the_completeness_checks_table_is_partitioned_by_its_check_time(root: Module) -> None:
    layout = tables(root)[verify.RESULTS_TABLE]
    fields = {f["name"]: f for f in schemas.fields(verify.RESULTS_TABLE)}
    assert fields[layout["partition_field"]]["type"] == "TIMESTAMP"
    assert layout["partition_field"] == "checked_at" and layout["clustering"] == ["symbol"]


@pytest.mark.unit
def test_hourly_partitions_expire_before_the_partition_limit(root: Module) -> None:
    days = root.variables["stream_prices_partition_expiration_days"]["default"]
    assert 0 < days <= HOURS_OF_PARTITIONS
    layout = tables(root)["stream_prices"]
    assert layout["expiration_days"] == "${var.stream_prices_partition_expiration_days}"
    [partitioning] = root.of_type("google_bigquery_table")["raw"]["time_partitioning"]
    assert "each.value.expiration_days * 24 * 3600 * 1000" in partitioning["expiration_ms"]


@pytest.mark.integration
@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")
def test_terraform_is_formatted() -> None:
    result = subprocess.run(
        ["terraform", "fmt", "-check", "-diff", "-recursive", str(TERRAFORM)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout
