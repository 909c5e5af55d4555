"""The relay's checkpoint: per pair, the trade id up to which everything is acknowledged.

A restart resumes continuity from here, so the first live trade after the restart
reveals what was missed and the gap is backfilled over REST. The checkpoint only
ever names ids whose trades (and all before them) were acknowledged by the sink:
publishing again after a crash may duplicate, never lose.

Stores: a local JSON file (written atomically with rename) or a GCS object
(``gs://bucket/path``), the latter for Cloud Run where the disk is ephemeral.
``keep_saving`` saves changed positions every CHECKPOINT_EVERY seconds; a failed
save (a GCS 503, a full disk) is logged, counted and tried again at the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any

from google.api_core.exceptions import NotFound
from google.cloud import storage

from coinpulse import logs
from relay.stats import RelayStats

log = logging.getLogger(__name__)

# s between saves; well above GCS's one write per second to one object
# (cloud.google.com/storage/quotas#objects)
CHECKPOINT_EVERY = 5.0

Positions = dict[str, int]


class CheckpointStore(ABC):
    location: str

    @abstractmethod
    def load(self) -> Positions:
        """Saved positions; empty when none were saved. Raises on unreadable content."""

    @abstractmethod
    def save(self, positions: Positions) -> None:
        """Persist positions (replaces the previous checkpoint)."""


def _encode(positions: Positions) -> str:
    return json.dumps({"version": 1, "saved_at": time.time(), "positions": positions})


def _decode(text: str) -> Positions:
    document: Any = json.loads(text)
    return {str(pair): int(trade_id) for pair, trade_id in document["positions"].items()}


class NoCheckpoint(CheckpointStore):
    location = "none"

    def load(self) -> Positions:
        return {}

    def save(self, positions: Positions) -> None:
        return None


class FileCheckpoint(CheckpointStore):
    def __init__(self, path: Path):
        self.path = path
        self.location = str(path)

    def load(self) -> Positions:
        return _decode(self.path.read_text()) if self.path.exists() else {}

    def save(self, positions: Positions) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(_encode(positions))
        os.replace(temporary, self.path)


class GcsCheckpoint(CheckpointStore):
    def __init__(self, uri: str):
        bucket, _, name = uri.removeprefix("gs://").partition("/")
        self.location = uri
        self._blob = storage.Client().bucket(bucket).blob(name)

    def load(self) -> Positions:
        try:
            return _decode(self._blob.download_as_text())
        except NotFound:
            return {}

    def save(self, positions: Positions) -> None:
        self._blob.upload_from_string(_encode(positions), content_type="application/json")


def open_checkpoint(spec: str) -> CheckpointStore:
    if spec == "none":
        return NoCheckpoint()
    if spec.startswith("gs://"):
        return GcsCheckpoint(spec)
    return FileCheckpoint(Path(spec))


async def keep_saving(
    store: CheckpointStore,
    positions: Callable[[], Positions],
    stopping: asyncio.Event,
    stats: RelayStats,
) -> None:
    """Save ``positions()`` whenever it changed, every CHECKPOINT_EVERY s, until stopping.

    A failed save is counted (``checkpoint_save_errors``) and tried again at the next
    interval; the saved checkpoint stays behind meanwhile, which costs duplicates
    after a restart, never trades.
    """
    saved: Positions = {}
    while not stopping.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), CHECKPOINT_EVERY)
        current = positions()
        if not current or current == saved:
            continue
        try:
            await asyncio.to_thread(store.save, current)
        except Exception:
            stats.checkpoint_save_errors += 1
            log.warning(
                "checkpoint not saved, trying again",
                exc_info=True,
                extra=logs.fields(
                    checkpoint=store.location,
                    errors=stats.checkpoint_save_errors,
                    retry_in_s=CHECKPOINT_EVERY,
                ),
            )
            continue
        saved = current
