"""A failed BigQuery job's errorResult -> whose fault it is: the object's, the setup's, or nobody's.

- CONTENT: the object's bytes can never load (unparseable, not of the table's schema,
  duplicate keys). Only these quarantine the object and acknowledge the event.
- CONFIGURATION: the table, dataset, schema, partitioning, location or permissions
  are wrong. The object is fine; the event is retried (so it loads once the setup is
  fixed) and an ERROR line carries ``alert: loader_configuration``.
- TRANSIENT: BigQuery failed the job on its side or for a limit; a new attempt later can work.

BigQuery reports several setup mistakes under the same reason as bad data
(``invalid``), so the message decides there: content only when it is provably
about reading the object's data; anything not known to be content or transient
counts as configuration, so that an unknown error alerts a person and never
quarantines good data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

CONTENT, CONFIGURATION, TRANSIENT = "content", "configuration", "transient"


@dataclass(frozen=True, slots=True)
class Rule:
    """Errors of ``reason`` (None: any) whose message holds ``phrase`` (lowercase): ``kind``."""

    reason: str | None
    phrase: str
    kind: str


# First match wins. Reasons: cloud.google.com/bigquery/docs/error-messages (the error
# table); load messages: cloud.google.com/bigquery/docs/loading-data-cloud-storage-json,
# cloud.google.com/bigquery/docs/loading-data-cloud-storage-parquet; DML messages:
# cloud.google.com/bigquery/docs/reference/standard-sql/dml-syntax#merge_statement.
RULES = (
    # "temporary server failure ... you can safely retry the job"
    Rule("backendError", "", TRANSIENT),
    Rule("internalError", "", TRANSIENT),
    # "the job was created successfully, but failed with an internal error"
    Rule("jobBackendError", "", TRANSIENT),
    Rule("jobInternalError", "", TRANSIENT),
    # limits: retry with exponential backoff (the daily load-job quota resets)
    Rule("rateLimitExceeded", "", TRANSIENT),
    Rule("jobRateLimitExceeded", "", TRANSIENT),
    Rule("quotaExceeded", "", TRANSIENT),
    Rule("resourceInUse", "", TRANSIENT),
    Rule("tableUnavailable", "", TRANSIENT),
    Rule("timeout", "", TRANSIENT),
    Rule("stopped", "", TRANSIENT),  # the job was cancelled
    # a MERGE that met another DML job on the same table
    Rule(None, "concurrent update", TRANSIENT),
    # setup mistakes reported as ``invalid``: the table's schema, partitioning or
    # clustering differ from the job's, or the dataset lives elsewhere
    Rule("invalid", "does not match table", CONFIGURATION),
    Rule("invalid", "partitioning", CONFIGURATION),
    Rule("invalid", "clustering", CONFIGURATION),
    Rule("invalid", "location", CONFIGURATION),
    # reading the object's data failed: "Error while reading data, error message: ...",
    # "Too many errors encountered", a REPLACE_DATE object holding other dates
    Rule("invalid", "error while reading data", CONTENT),
    Rule("invalid", "too many errors", CONTENT),
    Rule("invalid", "rows belong to different partitions", CONTENT),
    # the candles file repeats a key
    Rule("invalidQuery", "must match at most one source row", CONTENT),
)


def classify(error_result: Mapping[str, object]) -> str:
    """CONTENT, CONFIGURATION or TRANSIENT for a job's errorResult (default CONFIGURATION)."""
    reason = error_result.get("reason")
    message = str(error_result.get("message") or "").lower()
    for rule in RULES:
        if rule.reason in (None, reason) and rule.phrase in message:
            return rule.kind
    return CONFIGURATION
