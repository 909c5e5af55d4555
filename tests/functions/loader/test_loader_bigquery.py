# mypy: disable-error-code="no-untyped-call"
# (google.api_core's exception constructors carry no type annotations.)
"""The BigQuery path, against a fake client: the exact load configuration and job ids.

The fake stands in for ``bigquery.Client`` (BigQuery is not reachable from tests);
the code under test is the production class, ``BigQueryWarehouse``.
"""

import concurrent.futures
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from google.api_core.exceptions import Conflict, from_http_status

from coinpulse import lake, schemas
from functions.loader import jobs, objects
from functions.loader.bigquery_warehouse import MAX_ATTEMPTS, BigQueryWarehouse, JobsFailed
from functions.loader.events import StorageObject

pytestmark = pytest.mark.unit

WINDOWS = "stream_prices/dt=2026-05-18/hh=12/stream_prices-20260518T121010Z-p0-0a1b.jsonl"
MARKETS = "coingecko/markets/snapshot_date=2026-05-18/markets.parquet"
OHLC = "coingecko/ohlc/snapshot_date=2026-05-18/ohlc.parquet"
ERRORS = {"invalid": 400, "backendError": 500}


@dataclass
class FakeJob:
    job_id: str
    state: str = "DONE"
    error_result: dict[str, str] | None = None
    output_rows: int | None = 7
    num_dml_affected_rows: int | None = 48

    def result(self, timeout: float | None = None) -> "FakeJob":
        if self.state != "DONE":
            raise concurrent.futures.TimeoutError
        if self.error_result:
            status = ERRORS[self.error_result["reason"]]
            raise from_http_status(status, self.error_result["message"])
        return self


@dataclass
class FakeBigQuery:
    """What BigQueryWarehouse calls on bigquery.Client, recorded; jobs fail as planned."""

    project: str = "coinpulse-prod"
    jobs: dict[str, FakeJob] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    planned: dict[str, FakeJob] = field(default_factory=dict)

    def _insert(self, job_id: str) -> FakeJob:
        if job_id in self.jobs:
            raise Conflict(f"Already Exists: Job {self.project}:US.{job_id}")
        self.jobs[job_id] = self.planned.get(job_id, FakeJob(job_id))
        return self.jobs[job_id]

    def load_table_from_uri(self, source_uris: str, destination: str, **kwargs: Any) -> FakeJob:
        self.calls.append(
            ("load", {"source_uris": source_uris, "destination": destination, **kwargs})
        )
        return self._insert(kwargs["job_id"])

    def query(self, query: str, **kwargs: Any) -> FakeJob:
        self.calls.append(("query", {"query": query, **kwargs}))
        return self._insert(kwargs["job_id"])

    def get_job(self, job_id: str) -> FakeJob:
        self.calls.append(("get_job", {"job_id": job_id}))
        return self.jobs[job_id]

    def delete_table(self, table: str, not_found_ok: bool = False) -> None:
        self.calls.append(("delete_table", {"table": table, "not_found_ok": not_found_ok}))


def announced(name: str, generation: int = 1747570210123456) -> tuple[StorageObject, lake.Target]:
    target = lake.resolve(name)
    assert target
    source = StorageObject("coinpulse-lake", name, generation, "e1", "t", datetime.now(UTC))
    return source, target


def schema_repr(table: str) -> dict[str, Any]:
    return {"fields": json.loads(json.dumps(list(schemas.fields(table))))}


def test_a_window_object_is_one_append_load_with_the_schema_file() -> None:
    client = FakeBigQuery()
    source, target = announced(WINDOWS)
    result = BigQueryWarehouse(client).load(source, target)
    [(kind, call)] = client.calls
    job_id = jobs.job_id("stream_prices", source.bucket, source.name, source.generation)
    assert kind == "load" and call["job_id"] == job_id == result.job_id
    assert call["source_uris"] == f"gs://coinpulse-lake/{WINDOWS}"
    assert call["destination"] == "coinpulse-prod.crypto_raw.stream_prices"
    assert call["job_config"].to_api_repr() == {
        "load": {
            "schema": schema_repr("stream_prices"),
            "sourceFormat": "NEWLINE_DELIMITED_JSON",
            "autodetect": False,
            "ignoreUnknownValues": False,
            "maxBadRecords": 0,
            "createDisposition": "CREATE_NEVER",
            "writeDisposition": "WRITE_APPEND",
            "timePartitioning": {"type": "HOUR", "field": "window_start"},
            "clustering": {"fields": ["symbol"]},
        },
        "labels": {"component": "coinpulse-loader", "table": "stream_prices"},
    }
    assert (result.rows, result.already_loaded) == (7, False)


def test_a_redelivered_event_meets_the_existing_job_and_loads_nothing() -> None:
    client = FakeBigQuery()
    source, target = announced(WINDOWS)
    first = BigQueryWarehouse(client).load(source, target)
    again = BigQueryWarehouse(client).load(source, target)
    assert again.already_loaded and again.job_id == first.job_id
    assert len(client.jobs) == 1
    assert [kind for kind, _ in client.calls] == ["load", "load", "get_job"]


def test_a_job_still_running_is_waited_for_and_the_event_retried() -> None:
    client = FakeBigQuery()
    source, target = announced(WINDOWS)
    job_id = jobs.job_id("stream_prices", source.bucket, source.name, source.generation)
    client.jobs[job_id] = FakeJob(job_id, state="RUNNING")
    with pytest.raises(concurrent.futures.TimeoutError):
        BigQueryWarehouse(client).load(source, target)
    assert len(client.jobs) == 1


def test_a_job_failed_for_bad_data_makes_a_bad_object() -> None:
    client = FakeBigQuery()
    source, target = announced(WINDOWS)
    job_id = jobs.job_id("stream_prices", source.bucket, source.name, source.generation)
    client.planned[job_id] = FakeJob(
        job_id, error_result={"reason": "invalid", "message": "bad row"}
    )
    with pytest.raises(objects.BadObject, match="bad row"):
        BigQueryWarehouse(client).load(source, target)
    with pytest.raises(objects.BadObject):  # the redelivered event finds the same failed job
        BigQueryWarehouse(client).load(source, target)
    assert list(client.jobs) == [job_id]


def test_transient_job_failures_get_new_attempt_ids_up_to_a_limit() -> None:
    client = FakeBigQuery()
    source, target = announced(WINDOWS)
    ids = [
        jobs.job_id("stream_prices", source.bucket, source.name, source.generation, attempt=n)
        for n in range(1, MAX_ATTEMPTS + 1)
    ]
    for job_id in ids[:-1]:
        client.planned[job_id] = FakeJob(
            job_id, error_result={"reason": "backendError", "message": "boom"}
        )
    result = BigQueryWarehouse(client).load(source, target)
    assert result.job_id == ids[-1] and ids[-1].endswith(f"_a{MAX_ATTEMPTS}")

    failing = FakeBigQuery()
    for job_id in ids:
        failing.planned[job_id] = FakeJob(
            job_id, error_result={"reason": "backendError", "message": "boom"}
        )
    for _ in range(2):  # the first delivery and a retry: never more than MAX_ATTEMPTS jobs
        with pytest.raises(JobsFailed):
            BigQueryWarehouse(failing).load(source, target)
    assert list(failing.jobs) == ids


def test_a_markets_object_truncates_its_date_partition() -> None:
    client = FakeBigQuery()
    source, target = announced(MARKETS)
    BigQueryWarehouse(client).load(source, target)
    [(_, call)] = client.calls
    assert call["destination"] == "coinpulse-prod.crypto_raw.coingecko_markets$20260518"
    load = call["job_config"].to_api_repr()["load"]
    assert load["sourceFormat"] == "PARQUET" and load["writeDisposition"] == "WRITE_TRUNCATE"
    assert load["timePartitioning"] == {"type": "DAY", "field": "snapshot_date"}
    assert load["schema"] == schema_repr("coingecko_markets") and load["autodetect"] is False


def test_candles_load_into_staging_then_merge_on_their_key() -> None:
    client = FakeBigQuery()
    source, target = announced(OHLC)
    result = BigQueryWarehouse(client).load(source, target)
    (_, load), (_, merge), (_, drop) = client.calls
    load_id = jobs.job_id("coingecko_ohlc_candles", source.bucket, source.name, source.generation)
    staging = f"coinpulse-prod.crypto_raw._staging_{load_id}"
    assert load["job_id"] == load_id and load["destination"] == staging
    config = load["job_config"].to_api_repr()["load"]
    assert config["writeDisposition"] == "WRITE_TRUNCATE"
    assert config["createDisposition"] == "CREATE_IF_NEEDED"
    assert config["sourceFormat"] == "PARQUET" and "timePartitioning" not in config
    assert merge["job_id"] == load_id.replace("load_", "merge_", 1) == result.job_id
    assert merge["job_retry"] is None
    sql = merge["query"]
    assert sql.startswith(
        f"MERGE `coinpulse-prod.crypto_raw.coingecko_ohlc_candles` AS t USING `{staging}` AS s "
        "ON t.`coin_id` = s.`coin_id` AND t.`candle_close_time` = s.`candle_close_time`"
    )
    assert "WHEN MATCHED AND s.`ingested_at` >= t.`ingested_at` THEN UPDATE SET" in sql
    assert "WHEN NOT MATCHED THEN INSERT (`snapshot_date`, `coin_id`," in sql
    assert drop == {"table": staging, "not_found_ok": True}
    assert result.rows == 48

    BigQueryWarehouse(client).load(source, target)
    assert len(client.jobs) == 2  # the redelivery found both jobs
