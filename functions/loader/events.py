"""Cloud Storage finalize CloudEvents: the object they announce, and how one is built.

The event data is Cloud Storage's ``StorageObjectData`` in its JSON form
(camelCase, int64 values as strings). Eventarc delivers each event at least once
and retries a failed delivery with backoff for up to 24 hours
(cloud.google.com/functions/docs/writing/retries); ``too_old`` lets the loader
stop such a retry well before that, so a failure that is not transient ends in
one log line instead of a day of retries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cloudevents.abstract import CloudEvent
from cloudevents.http import CloudEvent as HttpCloudEvent

from coinpulse import lake

# Events older than this are dropped with an error log. Eventarc retries for 24 h,
# with backoff up to 600 s; every retried BigQuery job that fails counts against the
# 1,500 load jobs per table per day (cloud.google.com/bigquery/quotas). An event
# still failing after 4 hours is an outage or a configuration error, not a blip:
# it is logged with its object, to reload by hand, instead of spending quota.
MAX_EVENT_AGE = timedelta(hours=4)


class MalformedEvent(ValueError):
    """An event without the fields of a Cloud Storage object; retrying cannot help."""


@dataclass(frozen=True, slots=True)
class StorageObject:
    """One generation of one object, as announced by a finalize event."""

    bucket: str
    name: str
    generation: int
    event_id: str
    event_type: str
    event_time: datetime
    size: int | None = None

    @property
    def uri(self) -> str:
        return f"gs://{self.bucket}/{self.name}"

    def fields(self) -> dict[str, Any]:
        """The object's identity as structured log fields."""
        return {"bucket": self.bucket, "object": self.name, "generation": str(self.generation)}


def finalize_event(
    event_id: str, bucket: str, name: str, time: str, resource: Mapping[str, Any]
) -> HttpCloudEvent:
    """The finalize CloudEvent Eventarc delivers for one object generation.

    ``resource`` is the object's JSON resource (``StorageObjectData``: ``bucket``,
    ``name``, ``generation``, ... int64 values as strings), the event's data;
    ``time`` is the event time (RFC 3339). Eventarc's ``id`` is the same on every
    redelivery of one event.
    """
    attributes = {
        "id": event_id,
        "specversion": "1.0",
        "type": lake.FINALIZED,
        "source": f"//storage.googleapis.com/projects/_/buckets/{bucket}",
        "subject": f"objects/{name}",
        "time": time,
    }
    return HttpCloudEvent(attributes, dict(resource))


def _time(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse(event: CloudEvent) -> StorageObject:
    """The object of a finalize event. Raises MalformedEvent.

    The event time is the ``time`` attribute, else the object's ``updated`` or
    ``timeCreated`` (the same instant for a finalize).
    """
    data = event.get_data()
    if not isinstance(data, Mapping):
        raise MalformedEvent(f"event {event.get('id')}: data is not a StorageObjectData object")
    try:
        bucket, name, generation = str(data["bucket"]), str(data["name"]), int(data["generation"])
        moment = _time(event.get("time")) or _time(data.get("updated") or data.get("timeCreated"))
        size = int(data["size"]) if data.get("size") is not None else None
    except (KeyError, TypeError, ValueError) as error:
        raise MalformedEvent(f"event {event.get('id')}: {type(error).__name__}: {error}") from None
    if not bucket or not name or moment is None:
        raise MalformedEvent(f"event {event.get('id')}: no bucket, name or time")
    return StorageObject(
        bucket=bucket,
        name=name,
        generation=generation,
        event_id=str(event.get("id")),
        event_type=str(event.get("type")),
        event_time=moment,
        size=size,
    )


def too_old(announced: StorageObject, now: datetime) -> bool:
    """True when the event is older than MAX_EVENT_AGE (then it is dropped, not retried)."""
    return now - announced.event_time > MAX_EVENT_AGE
