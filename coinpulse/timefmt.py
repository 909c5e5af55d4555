"""Times as every table stores them: RFC 3339 UTC with milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def rfc3339_ms(time_ms: int) -> str:
    """Milliseconds since epoch -> RFC 3339 UTC with milliseconds, e.g. 2026-01-01T00:00:00.000Z."""
    moment = _EPOCH + timedelta(milliseconds=time_ms)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
