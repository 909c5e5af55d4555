"""Bad objects: a copy under ``quarantine/`` with the error beside it, then acknowledged.

An object that can never load (unparseable, not of its table's schema) is copied
to ``quarantine/<name>`` and described in ``quarantine/<name>.error.json``; the
loader logs it as one structured ERROR line and returns normally, so the event is
acknowledged instead of retried for a day. The original object stays where it
is. Copy and upload errors raise (the event is retried; both writes are
idempotent). The loader ignores everything under ``quarantine/``.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from coinpulse import lake, logs
from functions.loader.events import StorageObject
from functions.loader.store import ObjectStore

log = logging.getLogger(__name__)


def quarantine(store: ObjectStore, bad: StorageObject, table: str, error: str) -> str:
    """Copy the object's generation under quarantine/, write its error; returns the copy's name."""
    name = lake.QUARANTINE_PREFIX + bad.name
    store.copy(bad, name)
    report = {
        **bad.fields(),
        "table": table,
        "error": error,
        "event_id": bad.event_id,
        "quarantined_at": datetime.now(UTC).isoformat(),
    }
    store.write_json(bad.bucket, name + lake.QUARANTINE_ERROR_SUFFIX, json.dumps(report, indent=2))
    log.error(
        "bad object quarantined",
        extra=logs.fields(**bad.fields(), table=table, error=error, quarantined_as=name),
    )
    return name
