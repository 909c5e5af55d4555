"""One finalize event -> at most one load: what is acknowledged and what is retried.

Acknowledged (the handler returns): a load, a load that had already happened (a
redelivered event), an object that is not data or that no route knows, an event
for a generation that is no longer the object's live one (a rerun replaced it; its
own event loads it), an object quarantined as bad, an event too old to keep
retrying, and a malformed event. Retried (the handler raises): everything else,
e.g. Cloud Storage or BigQuery unavailable, a BigQuery configuration or permission
error (logged with an alert field), or, in the local stack, the DuckDB file staying
locked; every retry of the same generation is deduplicated by the warehouse.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import google.cloud.storage as gcs  # a from-import defeats mypy beside google.cloud.bigquery
from cloudevents.abstract import CloudEvent

from coinpulse import bigquery_client, lake, logs
from functions.loader import events, objects, quarantine
from functions.loader.bigquery_warehouse import BigQueryWarehouse
from functions.loader.store import GcsStore, ObjectStore
from functions.loader.warehouse import Warehouse

log = logging.getLogger(__name__)

LOADED, ALREADY_LOADED, QUARANTINED = "loaded", "already_loaded", "quarantined"
SKIPPED, SUPERSEDED, TOO_OLD, MALFORMED = "skipped", "superseded", "too_old", "malformed"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Loader:
    """What the handler works with: the warehouse, the lake's object store, a clock."""

    warehouse: Warehouse
    storage: ObjectStore
    now: Callable[[], datetime] = field(default=utc_now)


@functools.cache
def loader_from_env() -> Loader:
    """The process-wide loader: BigQuery and Cloud Storage, configured from the environment."""
    return Loader(BigQueryWarehouse(bigquery_client.from_env()), GcsStore(gcs.Client()))


def handle(event: CloudEvent, loader: Loader) -> str:
    """Handle one event; returns what happened (LOADED, SKIPPED, ...). Raises to be retried."""
    try:
        announced = events.parse(event)
    except events.MalformedEvent as error:
        log.error("malformed event acknowledged", extra=logs.fields(error=str(error)))
        return MALFORMED
    where = announced.fields()
    reason = lake.skip_reason(announced.name)
    if announced.event_type != lake.FINALIZED:
        reason = f"event type {announced.event_type}"
    target = None if reason else lake.resolve(announced.name)
    if target is None:
        log.info("object skipped", extra=logs.fields(**where, reason=reason or "no route"))
        return SKIPPED
    if events.too_old(announced, loader.now()):
        log.error(
            "event dropped: too old to retry; reload the object by hand",
            extra=logs.fields(
                **where,
                event_time=announced.event_time.isoformat(),
                max_age_seconds=events.MAX_EVENT_AGE.total_seconds(),
            ),
        )
        return TOO_OLD
    live = loader.storage.live_generation(announced.bucket, announced.name)
    if live != announced.generation:
        log.info(
            "object skipped: not the live generation",
            extra=logs.fields(**where, live_generation=None if live is None else str(live)),
        )
        return SUPERSEDED
    table = target.route.table
    try:
        result = loader.warehouse.load(announced, target)
    except objects.BadObject as error:
        quarantine.quarantine(loader.storage, announced, table, str(error))
        return QUARANTINED
    outcome = ALREADY_LOADED if result.already_loaded else LOADED
    log.info(
        "object already loaded" if result.already_loaded else "object loaded",
        extra=logs.fields(**where, table=table, job_id=result.job_id, rows=result.rows),
    )
    return outcome
