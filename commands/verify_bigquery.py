"""``coinpulse verify --warehouse bigquery://PROJECT[/DATASET]``: the check on BigQuery.

The same SQL as on the local warehouse (coinpulse.completeness), run on the production
tables: ``DATASET.stream_prices`` (default dataset ``crypto_raw``, as Terraform creates
it). The result rows go to ``DATASET.completeness_checks`` with a streaming insert,
which, unlike a load job, takes nothing from the table's daily load-job quota however
often verify runs. ``BIGQUERY_API_ENDPOINT`` points the client at an emulator.

What can fail: credentials or permissions (google.auth / google.api_core errors), a
missing table (NotFound), rows refused by the insert (InsertRefused). Nothing is retried
here beyond the client's own retries of transient errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from google.cloud import bigquery

from coinpulse import bigquery_client, completeness

SCHEME = "bigquery://"
DEFAULT_DATASET = "crypto_raw"


class InsertRefused(RuntimeError):
    """BigQuery refused some result rows; the message carries its errors."""


@dataclass(frozen=True, slots=True)
class Dataset:
    """A BigQuery dataset holding stream_prices and completeness_checks."""

    project: str
    dataset: str = DEFAULT_DATASET

    def table(self, name: str) -> str:
        return f"`{self.project}.{self.dataset}.{name}`"


def parse(uri: str) -> Dataset:
    """``bigquery://PROJECT[/DATASET]`` -> Dataset. Raises ValueError."""
    parts = uri.removeprefix(SCHEME).strip("/").split("/")
    if not uri.startswith(SCHEME) or not parts[0] or len(parts) > 2:
        raise ValueError(f"{uri!r}: give bigquery://PROJECT or bigquery://PROJECT/DATASET")
    return Dataset(*parts)


def check(
    where: Dataset, scope: completeness.Scope, client: bigquery.Client | None = None
) -> list[completeness.PairResult]:
    """Run the check on ``where``'s stream_prices."""
    client = client or bigquery_client.from_env(where.project)
    source = where.table("stream_prices")
    totals = _rows(client, completeness.totals_sql(scope, source))
    ranges = _rows(client, completeness.ranges_sql(scope, source))
    return completeness.results(totals, ranges)


def record(
    where: Dataset, rows: Sequence[dict[str, Any]], client: bigquery.Client | None = None
) -> None:
    """Append verify's result rows to ``where``'s completeness_checks."""
    if not rows:
        return
    client = client or bigquery_client.from_env(where.project)
    table = f"{where.project}.{where.dataset}.completeness_checks"
    errors = client.insert_rows_json(table, [_json_ready(row) for row in rows])
    if errors:
        raise InsertRefused(f"completeness_checks refused rows: {errors}")


def _json_ready(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


def _rows(client: bigquery.Client, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(row.values()) for row in client.query(sql).result()]
