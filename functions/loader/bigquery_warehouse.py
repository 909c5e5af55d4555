"""Production: one BigQuery load job per object generation, with a deterministic job id.

Every job gets ``jobs.job_id(...)``, derived from bucket, name and generation. A
redelivered event, or a retried insert whose first try reached BigQuery, meets
409 "Already Exists"; the loader then fetches that job and treats it as its own:
done without error is success, running is waited for, failed for bad data is a
bad object, failed otherwise is retried once more under the id suffixed ``_a2``
(then ``_a3``). At most MAX_ATTEMPTS jobs ever run per object generation, because
failed jobs count against the 1,500 load jobs per table per day.

Load configuration: the table's schema file (never autodetect), JSONL or Parquet,
``ignore_unknown_values`` false and no bad records, the table's partitioning and
clustering, CREATE_NEVER for the tables Terraform owns. APPEND tables append;
REPLACE_DATE truncates the partition ``table$YYYYMMDD``; UPSERT loads into a
staging table ``_staging_<load job id>`` and MERGEs it on the key (a stored row is
replaced only by a row of equal or later version), then drops the staging table.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from google.api_core.exceptions import Conflict, GoogleAPICallError
from google.cloud import bigquery

from coinpulse import lake, logs, schemas
from functions.loader import jobs, objects
from functions.loader.events import StorageObject
from functions.loader.warehouse import LoadResult, Warehouse

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# Event-driven functions may run 540 s (cloud.google.com/functions/docs/configuring/timeout);
# a load of one flush period's JSONL takes seconds. A job still running after this
# is left to run: the retried event finds it by its id and waits again.
JOB_WAIT_SECONDS = 300.0
# Job error reasons no retry can fix (cloud.google.com/bigquery/docs/error-messages):
# the data does not parse or does not fit the schema.
BAD_DATA_REASONS = frozenset({"invalid"})
FORMATS = {
    lake.JSONL: bigquery.SourceFormat.NEWLINE_DELIMITED_JSON,
    lake.PARQUET: bigquery.SourceFormat.PARQUET,
}
LABELS = {"component": "coinpulse-loader"}

Job = Any  # bigquery.LoadJob or QueryJob (or what a fake client in tests returns)


class Client(Protocol):
    """What this module uses of ``bigquery.Client``."""

    @property
    def project(self) -> str: ...

    def load_table_from_uri(
        self, source_uris: str, destination: str, *, job_id: str, job_config: bigquery.LoadJobConfig
    ) -> Job: ...

    def query(self, query: str, *, job_id: str, job_retry: None) -> Job: ...

    def get_job(self, job_id: str) -> Job: ...

    def delete_table(self, table: str, *, not_found_ok: bool) -> None: ...


def schema(table: str) -> list[bigquery.SchemaField]:
    """The table's schema file as BigQuery schema fields."""
    return [bigquery.SchemaField.from_api_repr(field) for field in schemas.fields(table)]


def load_config(route: lake.Route, *, staging: bool = False) -> bigquery.LoadJobConfig:
    """The load job configuration of a route (``staging``: into an UPSERT's staging table)."""
    config = bigquery.LoadJobConfig(
        schema=schema(route.table),
        source_format=FORMATS[route.source_format],
        autodetect=False,
        ignore_unknown_values=False,
        max_bad_records=0,
        labels={**LABELS, "table": route.table},
    )
    if staging:
        config.write_disposition = bigquery.WriteDisposition.WRITE_TRUNCATE
        config.create_disposition = bigquery.CreateDisposition.CREATE_IF_NEEDED
        return config
    config.create_disposition = bigquery.CreateDisposition.CREATE_NEVER
    config.write_disposition = (
        bigquery.WriteDisposition.WRITE_APPEND
        if route.write == lake.APPEND
        else bigquery.WriteDisposition.WRITE_TRUNCATE
    )
    config.time_partitioning = bigquery.TimePartitioning(
        type_=route.partitioning.unit, field=route.partitioning.field
    )
    config.clustering_fields = list(route.clustering)
    return config


def merge_sql(route: lake.Route, target: str, staging: str) -> str:
    """MERGE staging rows into the table on the route's key, newer-or-equal versions winning."""
    names = [field["name"] for field in schemas.fields(route.table)]
    on = " AND ".join(f"t.`{column}` = s.`{column}`" for column in route.key)
    newer = f" AND s.`{route.version}` >= t.`{route.version}`" if route.version else ""
    updates = ", ".join(f"`{name}` = s.`{name}`" for name in names if name not in route.key)
    columns = ", ".join(f"`{name}`" for name in names)
    values = ", ".join(f"s.`{name}`" for name in names)
    return (
        f"MERGE `{target}` AS t USING `{staging}` AS s ON {on}\n"
        f"WHEN MATCHED{newer} THEN UPDATE SET {updates}\n"
        f"WHEN NOT MATCHED THEN INSERT ({columns}) VALUES ({values})"
    )


class JobsFailed(RuntimeError):
    """Every allowed attempt failed for a reason other than bad data; retried via the event."""


class BigQueryWarehouse(Warehouse):
    """Load jobs through a ``bigquery.Client`` (or an object with the same methods)."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def _table(self, route: lake.Route, suffix: str = "") -> str:
        return f"{self.client.project}.{route.dataset}.{route.table}{suffix}"

    def load(self, source: StorageObject, target: lake.Target) -> LoadResult:
        route = target.route
        if route.write == lake.UPSERT:
            return self._upsert(source, route)
        destination = self._table(route)
        if route.write == lake.REPLACE_DATE and target.day is not None:
            destination += f"${target.day:%Y%m%d}"
        config = load_config(route)
        job, existing = self._run(
            "load",
            source,
            route,
            lambda job_id: self.client.load_table_from_uri(
                source.uri, destination, job_id=job_id, job_config=config
            ),
        )
        return LoadResult(job.job_id, job.output_rows, already_loaded=existing)

    def _upsert(self, source: StorageObject, route: lake.Route) -> LoadResult:
        first_id = jobs.job_id(route.table, source.bucket, source.name, source.generation)
        staging = f"{self.client.project}.{route.dataset}._staging_{first_id}"
        config = load_config(route, staging=True)
        self._run(
            "load",
            source,
            route,
            lambda job_id: self.client.load_table_from_uri(
                source.uri, staging, job_id=job_id, job_config=config
            ),
        )
        sql = merge_sql(route, self._table(route), staging)
        merge, existing = self._run(
            "merge",
            source,
            route,
            lambda job_id: self.client.query(sql, job_id=job_id, job_retry=None),
        )
        self.client.delete_table(staging, not_found_ok=True)
        return LoadResult(merge.job_id, merge.num_dml_affected_rows, already_loaded=existing)

    def _run(
        self, kind: str, source: StorageObject, route: lake.Route, start: Callable[[str], Job]
    ) -> tuple[Job, bool]:
        """Start (or find) the job under its deterministic id and wait for it.

        Returns (job, whether it already existed). Raises objects.BadObject when the
        job failed for bad data, JobsFailed after MAX_ATTEMPTS other failures,
        concurrent.futures.TimeoutError when the job is still running.
        """
        for attempt in range(1, MAX_ATTEMPTS + 1):
            job_id = jobs.job_id(
                route.table,
                source.bucket,
                source.name,
                source.generation,
                attempt=attempt,
                action=kind,
            )
            try:
                job, existing = start(job_id), False
            except Conflict:
                job, existing = self.client.get_job(job_id), True
            try:
                job.result(timeout=JOB_WAIT_SECONDS)
            except GoogleAPICallError as error:
                reason = (job.error_result or {}).get("reason")
                if reason in BAD_DATA_REASONS:
                    raise objects.BadObject(f"{kind} job {job_id} failed: {error}") from None
                log.warning(
                    "BigQuery job failed; trying a new attempt",
                    extra=logs.fields(job_id=job_id, reason=reason, error=str(error)),
                )
                continue
            return job, existing
        raise JobsFailed(f"{kind} of {source.uri}: {MAX_ATTEMPTS} attempts failed")
