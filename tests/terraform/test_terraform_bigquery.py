"""Terraform, the loader and the local warehouse name the same tables with the same schemas.

The Terraform is parsed (python-hcl2): it cannot be validated here, since the google
provider is not obtainable offline, but ``terraform fmt -check`` runs when
terraform is installed.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import duckdb
import hcl2
import pytest

from coinpulse import lake, schemas
from commands import warehouse_db
from commands.duckdb_warehouse import create_tables
from functions.loader import bigquery_warehouse

TERRAFORM = Path(__file__).resolve().parents[2] / "terraform"
SCHEMA_FILE = re.compile(r'^\$\{file\("\$\{path\.module\}/(?P<path>[^"]+)"\)\}$')
OPTIONS = hcl2.SerializationOptions(
    strip_string_quotes=True, explicit_blocks=False, with_comments=False
)
HOURS_OF_PARTITIONS = 10_000 // 24  # BigQuery: 10,000 partitions per table


def documents() -> list[dict[str, Any]]:
    """Every .tf file, parsed."""
    parsed = []
    for path in sorted(TERRAFORM.glob("*.tf")):
        with path.open() as handle:
            parsed.append(hcl2.load(handle, serialization_options=OPTIONS))
    return parsed


@pytest.fixture(scope="module")
def resources() -> dict[str, dict[str, Any]]:
    """Resources by ``type.name``."""
    return {
        f"{kind}.{name}": body
        for document in documents()
        for block in document.get("resource", [])
        for kind, named in block.items()
        for name, body in named.items()
    }


def variables() -> dict[str, dict[str, Any]]:
    return {
        name: body
        for document in documents()
        for block in document.get("variable", [])
        for name, body in block.items()
    }


def tables(resources: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        body["table_id"]: body
        for key, body in resources.items()
        if key.startswith("google_bigquery_table.")
    }


@pytest.mark.unit
def test_the_three_datasets_exist(resources: dict[str, dict[str, Any]]) -> None:
    datasets = {
        body["dataset_id"]
        for key, body in resources.items()
        if key.startswith("google_bigquery_dataset.")
    }
    assert datasets == set(warehouse_db.DATASETS) == {"crypto_raw", "crypto_staging", "crypto_mart"}


@pytest.mark.unit
def test_every_loader_route_is_a_terraform_table_of_the_same_layout(
    resources: dict[str, dict[str, Any]],
) -> None:
    declared = tables(resources)
    assert set(declared) == {route.table for route in lake.ROUTES}
    for route in lake.ROUTES:
        table = declared[route.table]
        dataset_key = table["dataset_id"].removeprefix("${").removesuffix(".dataset_id}")
        assert resources[dataset_key]["dataset_id"] == route.dataset
        [partitioning] = table["time_partitioning"]
        assert (partitioning["type"], partitioning["field"]) == (
            route.partitioning.unit,
            route.partitioning.field,
        )
        assert tuple(table["clustering"]) == route.clustering


@pytest.mark.unit
def test_terraform_loader_and_duckdb_read_the_same_schema_files(
    resources: dict[str, dict[str, Any]],
) -> None:
    warehouse = duckdb.connect()
    create_tables(warehouse)
    for name, table in tables(resources).items():
        match = SCHEMA_FILE.match(table["schema"])
        assert match, f"{name}: schema is not file(...) of a schema file"
        path = (TERRAFORM / match["path"]).resolve()
        assert path == (Path(schemas.__file__).parent / f"{name}.json").resolve()
        fields = json.loads(path.read_text())
        assert [f.to_api_repr() for f in bigquery_warehouse.schema(name)] == fields
        described = warehouse.execute(
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
            "WHERE table_schema = 'crypto_raw' AND table_name = ? ORDER BY ordinal_position",
            [name],
        ).fetchall()
        reference = duckdb.connect()
        reference.execute(f"CREATE TABLE t ({schemas.duckdb_columns(name)})")
        derived = reference.execute(
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
            "WHERE table_name = 't' ORDER BY ordinal_position"
        ).fetchall()
        assert described == derived
        assert [column for column, _, _ in described] == [field["name"] for field in fields]


@pytest.mark.unit
def test_hourly_partitions_expire_before_the_partition_limit(
    resources: dict[str, dict[str, Any]],
) -> None:
    days = variables()["stream_prices_partition_expiration_days"]["default"]
    assert 0 < days <= HOURS_OF_PARTITIONS
    [partitioning] = tables(resources)["stream_prices"]["time_partitioning"]
    assert "var.stream_prices_partition_expiration_days" in partitioning["expiration_ms"]


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
