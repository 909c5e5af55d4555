"""Where the loader reads lake objects and writes quarantined copies: one interface.

``GcsStore`` is Cloud Storage: the deployed function (``handler.loader_from_env``) and
the local stack (fake-gcs-server) use it. ``coinpulse load`` plugs in a local lake
folder instead (commands/lakes.py). Every write replaces its target, so a retried
quarantine writes the same copy and report again; any storage error raises, and the
caller retries the event.
"""

from __future__ import annotations

import abc

import google.cloud.storage as gcs  # a from-import defeats mypy beside google.cloud.bigquery

from functions.loader.events import StorageObject

JSON_CONTENT_TYPE = "application/json"


class ObjectStore(abc.ABC):
    """The lake's objects by bucket, name and generation."""

    @abc.abstractmethod
    def live_generation(self, bucket: str, name: str) -> int | None:
        """The object's live generation; None when there is no such object."""

    @abc.abstractmethod
    def read(self, source: StorageObject) -> bytes:
        """The bytes of exactly ``source.generation``; raises when it is gone or unreadable."""

    @abc.abstractmethod
    def copy(self, source: StorageObject, name: str) -> None:
        """Copy exactly ``source.generation`` to ``name`` in the same bucket, replacing it."""

    @abc.abstractmethod
    def write_json(self, bucket: str, name: str, text: str) -> None:
        """Write a JSON document to ``name``, replacing it."""


class GcsStore(ObjectStore):
    """Cloud Storage through its client (retries are the client's defaults)."""

    def __init__(self, client: gcs.Client) -> None:
        self.client = client

    def live_generation(self, bucket: str, name: str) -> int | None:
        blob = self.client.bucket(bucket).get_blob(name)
        return None if blob is None else int(blob.generation)

    def read(self, source: StorageObject) -> bytes:
        blob = self.client.bucket(source.bucket).blob(source.name, generation=source.generation)
        return bytes(blob.download_as_bytes())

    def copy(self, source: StorageObject, name: str) -> None:
        bucket = self.client.bucket(source.bucket)
        bucket.copy_blob(
            bucket.blob(source.name), bucket, name, source_generation=source.generation
        )

    def write_json(self, bucket: str, name: str, text: str) -> None:
        self.client.bucket(bucket).blob(name).upload_from_string(
            text, content_type=JSON_CONTENT_TYPE
        )
