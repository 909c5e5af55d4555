"""Deterministic job ids: the same object generation always gets the same id.

A redelivered finalize event therefore meets BigQuery's "already exists" (409) or
the local ledger's row instead of loading twice.
"""

from __future__ import annotations

import hashlib

# BigQuery job ids: letters, digits, '_' and '-', at most 1,024 characters
# (cloud.google.com/bigquery/docs/reference/rest/v2/JobReference).
JOB_ID_DIGEST_CHARS = 40


def job_id(
    table: str, bucket: str, name: str, generation: int, *, attempt: int = 1, action: str = "load"
) -> str:
    """The id of a job for an object generation.

    ``attempt`` > 1 only follows a job that failed transiently; ``action`` names the
    job's kind (``load``, or ``merge`` after an UPSERT's load).
    """
    digest = hashlib.sha256(f"{bucket}/{name}#{generation}".encode()).hexdigest()
    base = f"{action}_{table}_{digest[:JOB_ID_DIGEST_CHARS]}"
    return base if attempt == 1 else f"{base}_a{attempt}"
