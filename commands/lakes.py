"""The lake ``coinpulse load`` reads: a local folder or a ``gs://bucket[/prefix]``.

A lake is an object store the loader reads through (``functions.loader.store``) and
the objects it holds, each at its live generation. On Cloud Storage (or
fake-gcs-server, via STORAGE_EMULATOR_HOST) those are the bucket's objects under
the prefix. A local folder, as ``coinpulse backfill --output DIR`` and ``coinpulse
coingecko run --lake DIR`` write it, is a bucket of its own:

- the bucket is the folder's absolute path, an object's name its ``/``-separated
  path inside the folder;
- the generation is the file's modification time in nanoseconds, so a rewrite (a
  CoinGecko rerun renames a new file over the old) is a new generation. Two writes
  within the file system's timestamp granularity (milliseconds) are one generation;
  moving the folder, or copying it without keeping modification times, makes every
  file a new generation, loaded again;
- a quarantined copy goes to ``DIR/quarantine/<name>`` with ``<name>.error.json``
  beside it, both written atomically (``coinpulse.files``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import google.cloud.storage as gcs  # a from-import defeats mypy beside google.cloud.bigquery
from google.api_core.exceptions import NotFound

from coinpulse import files
from functions.loader.events import StorageObject
from functions.loader.store import GcsStore, ObjectStore

GCS_SCHEME = "gs://"


class BadLake(ValueError):
    """A lake argument that names no lake: another scheme, a missing folder or bucket."""


class ReplacedGeneration(RuntimeError):
    """A local file changed after it was listed: the generation to load is gone."""


@dataclass(frozen=True, slots=True)
class LakeObject:
    """One object of a lake at its live generation, as listed."""

    name: str
    generation: int
    size: int
    updated: datetime


@dataclass(frozen=True, slots=True)
class Lake:
    """Where a lake's objects are read (``store``, ``bucket``) and which it holds (``objects``)."""

    store: ObjectStore
    bucket: str
    objects: Callable[[], list[LakeObject]]


class LocalLake(ObjectStore):
    """A local lake folder as the loader's object store (the module says how it maps)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.bucket = str(self.root)

    def _path(self, bucket: str, name: str) -> Path:
        if bucket != self.bucket:
            raise ValueError(f"{bucket} is not the lake folder {self.bucket}")
        return self.root / name

    def live_generation(self, bucket: str, name: str) -> int | None:
        try:
            return self._path(bucket, name).stat().st_mtime_ns
        except FileNotFoundError:
            return None

    def read(self, source: StorageObject) -> bytes:
        """The file's bytes; raises ReplacedGeneration when it was rewritten since listed."""
        with open(self._path(source.bucket, source.name), "rb") as handle:
            generation = os.fstat(handle.fileno()).st_mtime_ns
            if generation != source.generation:
                raise ReplacedGeneration(
                    f"{source.name}: generation {source.generation} was replaced by {generation}"
                )
            return handle.read()

    def copy(self, source: StorageObject, name: str) -> None:
        files.write_atomically(self._path(source.bucket, name), self.read(source))

    def write_json(self, bucket: str, name: str, text: str) -> None:
        files.write_atomically(self._path(bucket, name), text.encode())

    def objects(self) -> list[LakeObject]:
        """Every file under the folder, by name. Raises OSError."""
        found = []
        for path in sorted(self.root.rglob("*")):
            if path.is_file():
                stat = path.stat()
                found.append(
                    LakeObject(
                        path.relative_to(self.root).as_posix(),
                        stat.st_mtime_ns,
                        stat.st_size,
                        datetime.fromtimestamp(stat.st_mtime_ns / 1e9, UTC),
                    )
                )
        return found


def gcs_objects(client: gcs.Client, bucket: str, prefix: str) -> list[LakeObject]:
    """The live objects under ``prefix``, by name. Raises BadLake for a missing bucket and
    google.api_core errors for the others (the client retries transient ones)."""
    try:
        return [
            LakeObject(blob.name, int(blob.generation), int(blob.size or 0), blob.updated)
            for blob in client.list_blobs(bucket, prefix=prefix)
        ]
    except NotFound as error:
        raise BadLake(f"no bucket {bucket}: {error.message}") from None


def open_lake(uri: str) -> Lake:
    """The lake of a local folder or a gs://bucket[/prefix]. Raises BadLake.

    The prefix is a folder: ``gs://b/lake`` holds ``lake/...``, never ``lake2/...``.
    """
    if uri.startswith(GCS_SCHEME):
        bucket, _, prefix = uri.removeprefix(GCS_SCHEME).partition("/")
        if not bucket:
            raise BadLake(f"{uri}: no bucket (gs://bucket[/prefix])")
        folder = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        client = gcs.Client()
        return Lake(GcsStore(client), bucket, lambda: gcs_objects(client, bucket, folder))
    if "://" in uri:
        raise BadLake(f"{uri}: a lake is a local folder or gs://bucket[/prefix]")
    if not Path(uri).is_dir():
        raise BadLake(f"{uri}: no such folder")
    local = LocalLake(Path(uri))
    return Lake(local, local.bucket, local.objects)
