"""Times as every table stores them: RFC 3339 UTC with milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# BigQuery TIMESTAMP holds 0001-01-01 00:00:00 to 9999-12-31 23:59:59.999999 UTC
# (cloud.google.com/bigquery/docs/reference/standard-sql/data-types#timestamp_type),
# which is also the range of Python's datetime; in milliseconds since epoch:
MIN_TIMESTAMP_MS = -62_135_596_800_000
MAX_TIMESTAMP_MS = 253_402_300_799_999


def rfc3339_ms(time_ms: int) -> str:
    """Milliseconds since epoch -> RFC 3339 UTC with milliseconds, e.g. 2026-01-01T00:00:00.000Z.

    Raises ValueError for an instant outside the TIMESTAMP range.
    """
    if not MIN_TIMESTAMP_MS <= time_ms <= MAX_TIMESTAMP_MS:
        raise ValueError(f"{time_ms} ms since epoch is outside the TIMESTAMP range (years 1-9999)")
    moment = _EPOCH + timedelta(milliseconds=time_ms)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
