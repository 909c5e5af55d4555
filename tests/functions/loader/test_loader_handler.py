"""One event at a time, as Eventarc delivers them: what is loaded, acknowledged or retried."""

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cloudevents.http import CloudEvent

from coinpulse import lake
from commands.duckdb_warehouse import DuckDBWarehouse
from functions.loader import events, handler
from functions.loader.warehouse import LoadResult, Warehouse

pytestmark = pytest.mark.integration

NAME = "stream_prices/dt=2026-05-18/hh=12/stream_prices-20260518T121010Z-p0-0a1b.jsonl"


class Unreachable(Warehouse):
    """A warehouse that is down: every load fails with a transient error."""

    def __init__(self) -> None:
        self.loads = 0

    def load(self, source: events.StorageObject, target: lake.Target) -> LoadResult:
        self.loads += 1
        raise ConnectionError("warehouse unreachable")


@pytest.fixture
def loader(tmp_path: Path, lake_objects: Any) -> handler.Loader:
    return handler.Loader(
        DuckDBWarehouse(tmp_path / "w.duckdb", lake_objects.store), lake_objects.store
    )


def logged(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [
        {"message": record.getMessage(), "severity": record.levelname, **record.fields}
        for record in caplog.records
        if hasattr(record, "fields")
    ]


def test_an_object_is_loaded_and_its_redelivery_acknowledged(
    loader: handler.Loader, lake_objects: Any, samples: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    event, _ = lake_objects.upload(NAME, samples.jsonl(samples.window_row()))
    assert handler.handle(event, loader) == handler.LOADED
    assert handler.handle(event, loader) == handler.ALREADY_LOADED
    loaded, again = logged(caplog)
    assert loaded["message"] == "object loaded" and loaded["table"] == "stream_prices"
    assert loaded["rows"] == 1 and loaded["object"] == NAME and loaded["bucket"] == samples.BUCKET
    assert again["message"] == "object already loaded" and again["job_id"] == loaded["job_id"]


@pytest.mark.parametrize(
    "name",
    [
        "quarantine/" + NAME,
        "stream_prices/dt=2026-05-18/hh=12/.stream_prices-x.jsonl.1a2b.tmp",
        "stream_prices/dt=2026-05-18/_SUCCESS",
        "exports/report.csv",
    ],
)
def test_objects_that_are_not_data_are_acknowledged_untouched(
    lake_objects: Any, samples: Any, name: str
) -> None:
    warehouse = Unreachable()
    event, _ = lake_objects.upload(name, b"whatever")
    assert handler.handle(event, handler.Loader(warehouse, lake_objects.store)) == handler.SKIPPED
    assert warehouse.loads == 0


def test_other_event_types_and_malformed_events_are_acknowledged(
    lake_objects: Any, samples: Any
) -> None:
    loader = handler.Loader(Unreachable(), lake_objects.store)
    deleted = CloudEvent(
        {
            "type": "google.cloud.storage.object.v1.deleted",
            "source": "s",
            "time": "2026-05-18T12:00:00Z",
        },
        {"bucket": samples.BUCKET, "name": NAME, "generation": "1"},
    )
    assert handler.handle(deleted, loader) == handler.SKIPPED
    nameless = CloudEvent({"type": lake.FINALIZED, "source": "s"}, {"bucket": samples.BUCKET})
    assert handler.handle(nameless, loader) == handler.MALFORMED
    not_json = CloudEvent({"type": lake.FINALIZED, "source": "s"}, "text")
    assert handler.handle(not_json, loader) == handler.MALFORMED


def test_an_event_older_than_the_limit_is_dropped_with_an_error_line(
    lake_objects: Any, samples: Any, caplog: pytest.LogCaptureFixture
) -> None:
    warehouse = Unreachable()
    generation = lake_objects.put(samples.BUCKET, NAME, samples.jsonl(samples.window_row()))
    sent = datetime.now(UTC) - events.MAX_EVENT_AGE - timedelta(minutes=1)
    event = samples.finalize_event(NAME, generation, time=sent)
    assert handler.handle(event, handler.Loader(warehouse, lake_objects.store)) == handler.TOO_OLD
    assert warehouse.loads == 0
    [line] = logged(caplog)
    assert line["severity"] == "ERROR" and line["object"] == NAME
    recent = samples.finalize_event(NAME, generation, time=sent + timedelta(minutes=2))
    with pytest.raises(ConnectionError):  # younger than the limit: retried
        handler.handle(recent, handler.Loader(warehouse, lake_objects.store))


def test_an_event_for_a_replaced_generation_is_skipped(
    loader: handler.Loader, lake_objects: Any, samples: Any
) -> None:
    name = "coingecko/markets/snapshot_date=2026-05-18/markets.parquet"
    first, _ = lake_objects.upload(name, samples.markets_parquet(("bitcoin",)))
    second, _ = lake_objects.upload(name, samples.markets_parquet(("ethereum",)))
    assert handler.handle(second, loader) == handler.LOADED
    assert handler.handle(first, loader) == handler.SUPERSEDED
    lake_objects.client.bucket(samples.BUCKET).delete_blob(name)
    assert handler.handle(second, loader) == handler.SUPERSEDED


def test_a_bad_object_is_quarantined_with_its_error_and_acknowledged(
    loader: handler.Loader, lake_objects: Any, samples: Any, caplog: pytest.LogCaptureFixture
) -> None:
    row = samples.window_row()
    row["surprise"] = 1
    payload = samples.jsonl(row)
    event, source = lake_objects.upload(NAME, payload)
    assert handler.handle(event, loader) == handler.QUARANTINED
    copy = lake_objects.client.bucket(samples.BUCKET).get_blob("quarantine/" + NAME)
    assert copy.download_as_bytes() == payload
    report_blob = lake_objects.client.bucket(samples.BUCKET).get_blob(
        f"quarantine/{NAME}.error.json"
    )
    report = json.loads(report_blob.download_as_bytes())
    assert report["object"] == NAME and report["generation"] == str(source.generation)
    assert report["table"] == "stream_prices" and "unexpected field" in report["error"]
    assert lake_objects.client.bucket(samples.BUCKET).get_blob(NAME) is not None
    [line] = [entry for entry in logged(caplog) if entry["severity"] == "ERROR"]
    assert line["message"] == "bad object quarantined" and "unexpected field" in line["error"]


def test_a_transient_error_raises_so_that_the_event_is_retried(
    lake_objects: Any, samples: Any
) -> None:
    event, _ = lake_objects.upload(NAME, samples.jsonl(samples.window_row()))
    with pytest.raises(ConnectionError):
        handler.handle(event, handler.Loader(Unreachable(), lake_objects.store))
