"""Finalize events for the local stack, since the GCS emulator sends no notifications.

    python -m commands.stack.watcher --bucket B --target URL --state FILE

Lists the bucket every POLL_SECONDS and POSTs one binary-mode CloudEvent per new
object generation to the loader under functions-framework, shaped as Eventarc
delivers ``google.cloud.storage.object.v1.finalized``: ``ce-id`` bucket/name/generation,
``ce-source``, ``ce-subject``, ``ce-time`` (the object's finalize time), and the
``StorageObjectData`` JSON as the body, int64 values as strings. Every object is
announced, quarantined copies included, as the real trigger would.

Delivery is at least once: a generation is written to the state file only after
the loader answered 2xx, so a restart may announce it again (the loader
deduplicates). A failed POST (connection refused, timeout, non-2xx) is retried
with backoff, other objects still flowing meanwhile.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any

import google.cloud.storage as gcs  # a from-import defeats mypy beside google.cloud.bigquery
import requests

from coinpulse import logs

log = logging.getLogger("commands.stack.watcher")

FINALIZED = "google.cloud.storage.object.v1.finalized"
POLL_SECONDS = 1.0
FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 30.0
# The loader may wait up to a minute for the warehouse lock (commands.warehouse_db).
POST_TIMEOUT_SECONDS = 90.0


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def cloud_event(bucket: str, blob: Any) -> tuple[dict[str, str], dict[str, Any]]:
    """(headers, body) of the binary-mode finalize CloudEvent for one object generation."""
    generation = str(blob.generation)
    body = {
        "kind": "storage#object",
        "id": f"{bucket}/{blob.name}/{generation}",
        "bucket": bucket,
        "name": blob.name,
        "generation": generation,
        "metageneration": str(blob.metageneration or 1),
        "contentType": blob.content_type,
        "size": str(blob.size),
        "md5Hash": blob.md5_hash,
        "crc32c": blob.crc32c,
        "etag": blob.etag,
        "timeCreated": _time(blob.time_created),
        "updated": _time(blob.updated),
        "storageClass": blob.storage_class or "STANDARD",
    }
    headers = {
        "ce-id": body["id"],
        "ce-specversion": "1.0",
        "ce-type": FINALIZED,
        "ce-source": f"//storage.googleapis.com/projects/_/buckets/{bucket}",
        "ce-subject": f"objects/{blob.name}",
        "ce-time": body["updated"] or body["timeCreated"] or "",
        "Content-Type": "application/json",
    }
    return headers, body


@dataclass
class Retry:
    attempts: int
    due: float


@dataclass
class Watcher:
    """Announces each new object generation of ``bucket`` to ``target`` once it is loaded."""

    client: gcs.Client
    bucket: str
    target: str
    state: Path
    delivered: set[tuple[str, int]] = field(default_factory=set)
    retries: dict[tuple[str, int], Retry] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.state.exists():
            for line in self.state.read_text().splitlines():
                generation, _, name = line.partition(" ")
                self.delivered.add((name, int(generation)))

    def _record(self, key: tuple[str, int]) -> None:
        self.delivered.add(key)
        self.retries.pop(key, None)
        self.state.parent.mkdir(parents=True, exist_ok=True)
        with self.state.open("a") as handle:
            handle.write(f"{key[1]} {key[0]}\n")

    def _post(self, blob: Any) -> bool:
        headers, body = cloud_event(self.bucket, blob)
        fields = {"object": blob.name, "generation": str(blob.generation)}
        try:
            response = requests.post(
                self.target, json=body, headers=headers, timeout=POST_TIMEOUT_SECONDS
            )
        except requests.RequestException as error:
            log.warning("delivery failed", extra=logs.fields(**fields, error=str(error)))
            return False
        if response.ok:
            log.info("delivered", extra=logs.fields(**fields, status=response.status_code))
            return True
        status = response.status_code
        log.warning("loader refused the event", extra=logs.fields(**fields, status=status))
        return False

    def poll_once(self, now: float) -> int:
        """Announce every object generation not yet delivered and due; returns how many were."""
        delivered = 0
        blobs = sorted(self.client.list_blobs(self.bucket), key=lambda b: (b.updated, b.name))
        for blob in blobs:
            key = (blob.name, int(blob.generation))
            retry = self.retries.get(key)
            if key in self.delivered or (retry and retry.due > now):
                continue
            if self._post(blob):
                self._record(key)
                delivered += 1
                continue
            attempts = retry.attempts + 1 if retry else 1
            wait = min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** (attempts - 1))
            self.retries[key] = Retry(attempts, now + wait)
        return delivered

    def run(self, stop: threading.Event) -> None:
        """Poll until ``stop`` is set; a failed listing is logged and tried again."""
        while not stop.is_set():
            try:
                self.poll_once(time.monotonic())
            except Exception as error:
                log.warning("listing the bucket failed", extra=logs.fields(error=str(error)))
            stop.wait(POLL_SECONDS)


def main(argv: Sequence[str] | None = None) -> int:
    logs.setup()
    parser = argparse.ArgumentParser(prog="python -m commands.stack.watcher", description=__doc__)
    parser.add_argument("--bucket", required=True, help="bucket on $STORAGE_EMULATOR_HOST")
    parser.add_argument("--target", required=True, help="the loader's URL")
    parser.add_argument("--state", required=True, type=Path, help="file of delivered generations")
    args = parser.parse_args(argv)
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    watcher = Watcher(gcs.Client(), args.bucket, args.target, args.state)
    log.info("watching", extra=logs.fields(bucket=args.bucket, target=args.target))
    watcher.run(stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
