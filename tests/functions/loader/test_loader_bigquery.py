# mypy: disable-error-code="no-untyped-call"
# (google.api_core's exception constructors carry no type annotations.)
"""The BigQuery path, against a fake client: the exact load configuration and job ids.

The fake stands in for ``bigquery.Client`` (BigQuery is not reachable from tests);
the code under test is the production class, ``BigQueryWarehouse``.
"""

import concurrent.futures
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from google.api_core.exceptions import (
    Conflict,
    GoogleAPICallError,
    NotFound,
    ServiceUnavailable,
)
from google.cloud.bigquery.job.base import _error_result_to_exception

from coinpulse import lake, schemas
from functions.loader import events, job_errors, jobs, objects
from functions.loader.bigquery_jobs import (
    MAX_ATTEMPTS,
    BackingOff,
    ConfigurationError,
    JobRunner,
    JobsFailed,
    backoff,
)
from functions.loader.bigquery_warehouse import BigQueryWarehouse
from functions.loader.events import StorageObject

pytestmark = pytest.mark.unit

WINDOWS = "stream_prices/dt=2026-05-18/hh=12/stream_prices-20260518T121010Z-p0-0a1b.jsonl"
MARKETS = "coingecko/markets/snapshot_date=2026-05-18/markets.parquet"
OHLC = "coingecko/ohlc/snapshot_date=2026-05-18/ohlc.parquet"
# errorResult messages as BigQuery reports them for a load job
# (cloud.google.com/bigquery/docs/error-messages, cloud.google.com/bigquery/docs/loading-data).
TOO_MANY_ERRORS = (
    "Error while reading data, error message: JSON table encountered too many errors, "
    "giving up. Rows: 1; errors: 1. Please look into the errors[] collection for more details."
)
BACKEND = "Backend error. Job aborted."


@dataclass
class FakeClock:
    """Wall-clock time that moves only when something sleeps."""

    moment: datetime = datetime(2026, 5, 18, 12, 30, tzinfo=UTC)
    slept: list[float] = field(default_factory=list)

    def now(self) -> datetime:
        return self.moment

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.moment += timedelta(seconds=seconds)


@dataclass
class FakeJob:
    """A job as jobs.get reports it: state PENDING, RUNNING or DONE, errorResult when failed."""

    job_id: str
    state: str = "DONE"
    error_result: dict[str, str] | None = None
    errors: list[dict[str, str]] | None = None
    ended: datetime | None = None
    polling_fails: bool = False  # jobs.get answers 503 while the job runs on
    output_rows: int | None = 7
    num_dml_affected_rows: int | None = 48

    def result(self, timeout: float | None = None) -> "FakeJob":
        if self.polling_fails:
            raise ServiceUnavailable("GET jobs: backendError")
        if self.state != "DONE":
            raise concurrent.futures.TimeoutError
        if self.error_result:
            raise _error_result_to_exception(self.error_result, self.errors)
        return self


def failed(job_id: str, reason: str, message: str, ended: datetime | None = None) -> FakeJob:
    return FakeJob(job_id, error_result={"reason": reason, "message": message}, ended=ended)


@dataclass
class FakeBigQuery:
    """What BigQueryWarehouse calls on bigquery.Client, recorded; jobs end as planned.

    Like BigQuery: inserting a job id that exists is 409 Conflict, fetching one that
    does not is 404 NotFound, and a job that ends gets its end time.
    """

    project: str = "coinpulse-prod"
    clock: FakeClock = field(default_factory=FakeClock)
    jobs: dict[str, FakeJob] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    planned: dict[str, FakeJob] = field(default_factory=dict)
    inserted_at: dict[str, datetime] = field(default_factory=dict)

    def _insert(self, job_id: str) -> FakeJob:
        if job_id in self.jobs:
            raise Conflict(f"Already Exists: Job {self.project}:US.{job_id}")
        job = self.planned.get(job_id, FakeJob(job_id))
        if job.state == "DONE" and job.ended is None:
            job.ended = self.clock.now()
        self.jobs[job_id] = job
        self.inserted_at[job_id] = self.clock.now()
        return job

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
        if job_id not in self.jobs:
            raise NotFound(f"Not found: Job {self.project}:US.{job_id}")
        return self.jobs[job_id]

    def delete_table(self, table: str, not_found_ok: bool = False) -> None:
        self.calls.append(("delete_table", {"table": table, "not_found_ok": not_found_ok}))


def warehouse(client: FakeBigQuery) -> BigQueryWarehouse:
    return BigQueryWarehouse(client, JobRunner(now=client.clock.now, sleep=client.clock.sleep))


def ended(client: FakeBigQuery, job_id: str) -> datetime:
    moment = client.jobs[job_id].ended
    assert moment is not None
    return moment


def attempt_ids(source: StorageObject, count: int = MAX_ATTEMPTS) -> list[str]:
    return [
        jobs.job_id("stream_prices", source.bucket, source.name, source.generation, attempt=n)
        for n in range(1, count + 1)
    ]


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
    result = warehouse(client).load(source, target)
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
    first = warehouse(client).load(source, target)
    again = warehouse(client).load(source, target)
    assert again.already_loaded and again.job_id == first.job_id
    assert len(client.jobs) == 1
    assert [kind for kind, _ in client.calls] == ["load", "load", "get_job"]


def redelivered_after(client: FakeBigQuery, job: FakeJob) -> tuple[StorageObject, lake.Target]:
    """The object of a window whose attempt 1 already exists as ``job``."""
    source, target = announced(WINDOWS)
    [first] = attempt_ids(source, 1)
    job.job_id = first
    client.jobs[first] = job
    return source, target


@pytest.mark.parametrize(
    ("job", "raised", "jobs_after", "already_loaded"),
    [
        (FakeJob("", state="PENDING"), concurrent.futures.TimeoutError, 1, None),
        (FakeJob("", state="RUNNING"), concurrent.futures.TimeoutError, 1, None),
        (FakeJob("", state="RUNNING", polling_fails=True), ServiceUnavailable, 1, None),
        (FakeJob("", ended=FakeClock().moment), None, 1, True),
        (failed("", "invalid", TOO_MANY_ERRORS), objects.BadObject, 1, None),
        (
            failed("", "backendError", BACKEND, FakeClock().moment - timedelta(hours=1)),
            None,
            2,
            False,
        ),
    ],
    ids=["pending", "running", "polling-fails", "done", "done-bad-data", "done-transient"],
)
def test_a_redelivered_event_acts_on_the_state_of_the_existing_job(
    job: FakeJob, raised: type[BaseException] | None, jobs_after: int, already_loaded: bool | None
) -> None:
    client = FakeBigQuery()
    source, target = redelivered_after(client, job)
    if raised is None:
        result = warehouse(client).load(source, target)
        assert result.already_loaded is already_loaded
        assert result.job_id == attempt_ids(source, jobs_after)[-1]
    else:
        with pytest.raises(raised):
            warehouse(client).load(source, target)
    assert list(client.jobs) == attempt_ids(source, jobs_after)


def test_a_polling_failure_never_starts_a_second_attempt_beside_the_running_one() -> None:
    client = FakeBigQuery()
    source, target = announced(WINDOWS)
    [first] = attempt_ids(source, 1)
    client.planned[first] = FakeJob(first, state="RUNNING", polling_fails=True)
    with pytest.raises(GoogleAPICallError):
        warehouse(client).load(source, target)
    assert list(client.jobs) == [first]
    client.jobs[first].polling_fails = False
    client.jobs[first].state = "DONE"
    result = warehouse(client).load(source, target)  # the redelivery finds it finished
    assert result.job_id == first and result.already_loaded
    assert list(client.jobs) == [first]


def test_attempts_back_off_after_a_transient_failure() -> None:
    client = FakeBigQuery()
    source, target = announced(WINDOWS)
    first, second, third = attempt_ids(source, 3)
    client.planned[first] = failed(first, "backendError", BACKEND)
    client.planned[second] = failed(second, "jobBackendError", BACKEND)
    result = warehouse(client).load(source, target)
    assert result.job_id == third and not result.already_loaded
    waited = client.inserted_at[second] - ended(client, first)
    assert waited >= timedelta(seconds=30)
    assert client.inserted_at[third] - ended(client, second) > waited


def test_a_redelivery_after_failed_attempts_starts_the_next_one() -> None:
    client = FakeBigQuery()
    source, target = announced(WINDOWS)
    earlier = attempt_ids(source, 3)
    hours_ago = client.clock.now() - timedelta(hours=2)
    for job_id in earlier:
        client.jobs[job_id] = failed(job_id, "backendError", BACKEND, hours_ago)
    result = warehouse(client).load(source, target)
    assert result.job_id == attempt_ids(source, 4)[-1] and not result.already_loaded
    assert list(client.jobs) == attempt_ids(source, 4)


CONFIGURATION_ERRORS = [
    ("notFound", "Not found: Table coinpulse-prod:crypto_raw.stream_prices"),
    ("notFound", "Not found: Dataset coinpulse-prod:crypto_raw was not found in location EU"),
    (
        "accessDenied",
        "Access Denied: Table coinpulse-prod:crypto_raw.stream_prices: Permission "
        "bigquery.tables.updateData denied on table coinpulse-prod:crypto_raw.stream_prices",
    ),
    (
        "invalid",
        "Provided Schema does not match Table coinpulse-prod:crypto_raw.stream_prices. "
        "Field price has changed type from NUMERIC to FLOAT",
    ),
    (
        "invalid",
        "Incompatible table partitioning specification. Expects partitioning "
        "specification interval(type:hour,field:window_start), but input partitioning "
        "specification is interval(type:day,field:window_start)",
    ),
    ("invalid", "Cannot read and write in different locations: source: EU, destination: US"),
]


@pytest.mark.parametrize(("reason", "message"), CONFIGURATION_ERRORS)
def test_a_configuration_error_raises_with_an_alert_line_instead_of_a_bad_object(
    reason: str, message: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = FakeBigQuery()
    source, target = announced(WINDOWS)
    [first] = attempt_ids(source, 1)
    client.planned[first] = failed(first, reason, message)
    with pytest.raises(ConfigurationError):
        warehouse(client).load(source, target)
    assert list(client.jobs) == [first]
    [line] = [record for record in caplog.records if record.levelno == logging.ERROR]
    fields = line.__dict__["fields"]
    assert fields["alert"] == "loader_configuration" and fields["job_id"] == first
    assert fields["reason"] == reason and message in fields["error"]
    assert fields["object"] == WINDOWS


def test_a_fixed_configuration_loads_on_a_later_delivery() -> None:
    client = FakeBigQuery()
    source, target = announced(WINDOWS)
    first, second = attempt_ids(source, 2)
    client.planned[first] = failed(first, *CONFIGURATION_ERRORS[0])
    for _ in range(2):  # the first delivery, and a redelivery before the backoff has passed
        with pytest.raises(ConfigurationError):
            warehouse(client).load(source, target)
    assert list(client.jobs) == [first]
    client.clock.sleep(backoff(1).total_seconds())
    result = warehouse(client).load(source, target)
    assert result.job_id == second and not result.already_loaded


def test_a_next_attempt_not_due_within_the_invocation_is_left_to_a_redelivery() -> None:
    client = FakeBigQuery()
    source, target = announced(WINDOWS)
    ids = attempt_ids(source, 6)
    for job_id in ids[:5]:
        client.planned[job_id] = failed(job_id, "backendError", BACKEND)
    with pytest.raises(BackingOff):  # attempt 5 would start after the invocation's budget
        warehouse(client).load(source, target)
    assert list(client.jobs) == ids[:4]
    assert client.clock.slept == [backoff(n).total_seconds() for n in (1, 2, 3)]
    client.clock.sleep(600)  # Eventarc redelivers: attempt 5 is due, fails, 6 is not due
    with pytest.raises(BackingOff):
        warehouse(client).load(source, target)
    assert list(client.jobs) == ids[:5]
    client.clock.sleep(600)  # attempt 6 is due within this invocation: waited for
    result = warehouse(client).load(source, target)
    assert result.job_id == ids[5] and not result.already_loaded
    assert client.inserted_at[ids[5]] - ended(client, ids[4]) == backoff(5)


def test_attempts_end_at_a_limit_that_only_events_past_their_age_reach(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = FakeBigQuery()
    source, target = announced(WINDOWS)
    ids = attempt_ids(source)
    for job_id in ids:
        client.planned[job_id] = failed(job_id, "backendError", BACKEND)
    started = client.clock.now()
    while True:  # Eventarc redelivers a failed event at most 600 s later
        try:
            warehouse(client).load(source, target)
        except BackingOff:
            client.clock.sleep(600)
            continue
        except JobsFailed:
            break
    assert list(client.jobs) == ids
    assert client.inserted_at[ids[-1]] - started > events.MAX_EVENT_AGE
    [line] = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert line.__dict__["fields"]["alert"] == "loader_attempts_exhausted"
    with pytest.raises(JobsFailed):
        warehouse(client).load(source, target)
    assert list(client.jobs) == ids


@pytest.mark.parametrize(
    ("reason", "message", "kind"),
    [
        ("invalid", TOO_MANY_ERRORS, job_errors.CONTENT),
        (
            "invalid",
            "Error while reading data, error message: JSON parsing error in row "
            "starting at position 0: No such field: surprise.",
            job_errors.CONTENT,
        ),
        (
            "invalid",
            "Error while reading data, error message: Input file is not in Parquet format.",
            job_errors.CONTENT,
        ),
        ("invalid", "Too many errors encountered. Limit is: 0.", job_errors.CONTENT),
        (
            "invalidQuery",
            "UPDATE/MERGE must match at most one source row for each target row",
            job_errors.CONTENT,
        ),
        *[(reason, message, job_errors.CONFIGURATION) for reason, message in CONFIGURATION_ERRORS],
        ("invalid", "Incompatible table clustering specification", job_errors.CONFIGURATION),
        (
            "invalid",
            "Invalid value for type: NUMERIC is not a valid value",
            job_errors.CONFIGURATION,
        ),
        ("invalidQuery", "Unrecognized name: ingested_at at [2:25]", job_errors.CONFIGURATION),
        ("billingNotEnabled", "Billing has not been enabled", job_errors.CONFIGURATION),
        ("somethingNew", "", job_errors.CONFIGURATION),
        ("backendError", BACKEND, job_errors.TRANSIENT),
        ("internalError", "An internal error occurred", job_errors.TRANSIENT),
        ("jobBackendError", "The job encountered an error during execution", job_errors.TRANSIENT),
        ("jobInternalError", "The job encountered an internal error", job_errors.TRANSIENT),
        (
            "rateLimitExceeded",
            "Exceeded rate limits: too many table update operations",
            job_errors.TRANSIENT,
        ),
        (
            "quotaExceeded",
            "Quota exceeded: Your table exceeded quota for imports or query appends per table",
            job_errors.TRANSIENT,
        ),
        (
            "invalidQuery",
            "Could not serialize access to table coinpulse-prod:crypto_raw."
            "coingecko_ohlc_candles due to concurrent update",
            job_errors.TRANSIENT,
        ),
        (
            "stopped",
            "Job execution was cancelled: User requested cancellation",
            job_errors.TRANSIENT,
        ),
    ],
)
def test_job_errors_are_content_configuration_or_transient(
    reason: str, message: str, kind: str
) -> None:
    assert job_errors.classify({"reason": reason, "message": message}) == kind


def test_a_content_error_quarantines_with_the_detailed_errors() -> None:
    client = FakeBigQuery()
    source, target = announced(WINDOWS)
    [first] = attempt_ids(source, 1)
    client.planned[first] = failed(first, "invalid", TOO_MANY_ERRORS)
    client.planned[first].errors = [
        {"reason": "invalid", "message": TOO_MANY_ERRORS},
        {"reason": "invalid", "message": "JSON parsing error in row 3: No such field: surprise."},
    ]
    with pytest.raises(objects.BadObject, match="No such field: surprise") as raised:
        warehouse(client).load(source, target)
    assert "too many errors" in str(raised.value)


def test_a_markets_object_truncates_its_date_partition() -> None:
    client = FakeBigQuery()
    source, target = announced(MARKETS)
    warehouse(client).load(source, target)
    [(_, call)] = client.calls
    assert call["destination"] == "coinpulse-prod.crypto_raw.coingecko_markets$20260518"
    load = call["job_config"].to_api_repr()["load"]
    assert load["sourceFormat"] == "PARQUET" and load["writeDisposition"] == "WRITE_TRUNCATE"
    assert load["timePartitioning"] == {"type": "DAY", "field": "snapshot_date"}
    assert load["schema"] == schema_repr("coingecko_markets") and load["autodetect"] is False


def test_candles_load_into_staging_then_merge_on_their_key() -> None:
    client = FakeBigQuery()
    source, target = announced(OHLC)
    result = warehouse(client).load(source, target)
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

    warehouse(client).load(source, target)
    assert len(client.jobs) == 2  # the redelivery found both jobs
