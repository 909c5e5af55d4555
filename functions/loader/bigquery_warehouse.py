"""Production: each object generation loads through BigQuery jobs with deterministic ids.

Every job gets ``jobs.job_id(...)``, derived from bucket, name and generation, and
runs as a chain of attempts (functions/loader/bigquery_jobs.py): a redelivered event,
or a retried insert whose first try reached BigQuery, meets 409 "Already Exists" and
carries on with the job that exists; a new attempt starts only after the previous
one is seen failed for a reason a retry can fix, with backoff. Which errors
quarantine the object and which raise is functions/loader/job_errors.py.

Load configuration: the table's schema file (never autodetect), JSONL or Parquet,
``ignore_unknown_values`` false and no bad records, the table's partitioning and
clustering, CREATE_NEVER for the tables Terraform owns. APPEND tables append;
REPLACE_DATE truncates the partition ``table$YYYYMMDD``; UPSERT loads into a
staging table ``_staging_<load job id>`` and MERGEs it on the key (a stored row is
replaced only by a row of equal or later version), then drops the staging table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from google.cloud import bigquery

from coinpulse import lake, schemas
from functions.loader import jobs
from functions.loader.bigquery_jobs import Job, JobRunner
from functions.loader.events import StorageObject
from functions.loader.warehouse import LoadResult, Warehouse

FORMATS = {
    lake.JSONL: bigquery.SourceFormat.NEWLINE_DELIMITED_JSON,
    lake.PARQUET: bigquery.SourceFormat.PARQUET,
}
LABELS = {"component": "coinpulse-loader"}


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


class BigQueryWarehouse(Warehouse):
    """Load jobs through a ``bigquery.Client`` (or an object with the same methods)."""

    def __init__(self, client: Client, runner: JobRunner | None = None) -> None:
        self.client = client
        self.runner = runner or JobRunner()

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
        """The step's successful job and whether it existed; raises as bigquery_jobs says."""
        return self.runner.run(kind, source, route, start, self.client.get_job)
