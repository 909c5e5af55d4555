"""BigQuery fixtures: the bqemulator BigQuery API, and a raw dataset on it per test.

``bigquery_raw`` creates a fresh dataset holding every raw table from the schema files
(the tables Terraform creates in production), loads rows into it with real load jobs
and points the code under test at the emulator through ``BIGQUERY_API_ENDPOINT``.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from google.cloud import bigquery

from coinpulse import bigquery_client, lake, schemas
from commands import bigquery_emulator as emulator

PROJECT = "coinpulse-test"
RAW_TABLES = (*(route.table for route in lake.ROUTES), "completeness_checks")


@pytest.fixture(scope="session")
def bigquery_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The REST endpoint of a bqemulator started for this test session."""
    log = tmp_path_factory.mktemp("bqemulator") / "emulator.log"
    with emulator.bigquery_emulator(PROJECT, log_path=log) as endpoint:
        yield endpoint


@dataclass
class RawDataset:
    """A dataset of raw tables on the emulator, and its client."""

    client: bigquery.Client
    dataset: str

    def table(self, name: str) -> str:
        return f"{PROJECT}.{self.dataset}.{name}"

    def load_jsonl(self, name: str, payload: bytes) -> None:
        """Append newline-delimited JSON rows to a table with a load job."""
        config = bigquery.LoadJobConfig(
            source_format=bigquery.SourceFormat.NEWLINE_DELIMITED_JSON,
            write_disposition=bigquery.WriteDisposition.WRITE_APPEND,
            create_disposition=bigquery.CreateDisposition.CREATE_NEVER,
        )
        job = self.client.load_table_from_file(
            io.BytesIO(payload), self.table(name), job_config=config
        )
        job.result(timeout=60)

    def rows(self, sql: str) -> list[dict[str, object]]:
        return [dict(row.items()) for row in self.client.query(sql).result(timeout=60)]


@pytest.fixture
def bigquery_raw(
    bigquery_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[RawDataset]:
    monkeypatch.setenv(bigquery_client.ENDPOINT_ENV, bigquery_endpoint)
    client = bigquery_client.connect(PROJECT, endpoint=bigquery_endpoint)
    dataset = f"raw_{uuid.uuid4().hex[:12]}"
    client.create_dataset(f"{PROJECT}.{dataset}")
    for name in RAW_TABLES:
        fields = [bigquery.SchemaField.from_api_repr(dict(f)) for f in schemas.fields(name)]
        client.create_table(bigquery.Table(f"{PROJECT}.{dataset}.{name}", schema=fields))
    yield RawDataset(client, dataset)
    client.delete_dataset(f"{PROJECT}.{dataset}", delete_contents=True)
