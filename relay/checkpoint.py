"""The relay's checkpoint: per pair, the trade id up to which everything is acknowledged.

A restart resumes continuity from here, so the first live trade after the restart
reveals what was missed and the gap is backfilled over REST. The checkpoint only
ever names ids whose trades (and all before them) were acknowledged by the sink:
publishing again after a crash may duplicate, never lose.

Stores: a local JSON file (written atomically with rename) or a GCS object
(``gs://bucket/path``), the latter for Cloud Run where the disk is ephemeral.
"""

from __future__ import annotations

import json
import os
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

from google.api_core.exceptions import NotFound
from google.cloud import storage

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
