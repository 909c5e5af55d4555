"""The daily lane's atomic Parquet writer: one object per table and date, in the lake.

Names and load semantics are the lake contract's (``coinpulse.lake``):
``coingecko/markets/`` loads as REPLACE_DATE (the rows of the object's snapshot_date
are replaced by the file's), ``coingecko/ohlc/`` as UPSERT on (coin_id,
candle_close_time). Every file therefore holds each key at most once and is never
empty: a run with nothing to write leaves the date's previous object (and its loaded
rows) alone. Both use the explicit schema from ``coinpulse.schemas``.

Writes are atomic: locally a temporary file in the same directory is renamed over the
target; on GCS an object appears only when its upload completes. A rerun of a date
writes the same name again (on GCS: a new generation, hence a new finalize event).
The GCS upload is retried on transient errors, which is safe because it rewrites
identical bytes under a deterministic name.

``read`` gives a date's current object back (None when there is none), so that a run
can keep the previous rows of coins that failed this time (functions.coingecko.run).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from google.api_core.exceptions import NotFound
from google.api_core.retry import Retry
from google.cloud import storage

from coinpulse import files, lake


def to_arrow(rows: Iterable[Mapping[str, Any]], route: lake.Route) -> pa.Table:
    """Rows -> an Arrow table with the table's exact schema. Raises ValueError.

    Fails on a row whose columns are not exactly the schema's, a null in a REQUIRED
    column, a value of the wrong type, or a key that occurs twice.
    """
    schema = route.arrow_schema()
    names = set(schema.names)
    listed = list(rows)
    seen: set[tuple[Any, ...]] = set()
    for row in listed:
        if set(row) != names:
            raise ValueError(
                f"{route.table} row columns differ from the schema: "
                f"missing {sorted(names - set(row))}, unknown {sorted(set(row) - names)}"
            )
        key = tuple(row[column] for column in route.key)
        if key in seen:
            raise ValueError(f"{route.table}: key {key} occurs twice")
        seen.add(key)
    try:
        data = pa.Table.from_pylist(listed, schema=schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as error:
        raise ValueError(f"{route.table}: {error}") from None
    for field in schema:
        if not field.nullable and data.column(field.name).null_count:
            raise ValueError(f"{route.table}: REQUIRED column {field.name} holds nulls")
    return data


def parquet_bytes(data: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(data, sink, compression="snappy")
    return sink.getvalue()


def object_uri(root: str, route: lake.Route, day: date) -> str:
    """The full path or gs:// URI of a table's object for a date, under a lake root."""
    name = lake.coingecko_object(route, day)
    if root.startswith("gs://"):
        return f"{root.rstrip('/')}/{name}"
    return str(Path(root) / name)


def write(root: str, route: lake.Route, day: date, data: pa.Table) -> str:
    """Write one date's file atomically, replacing any previous one. Returns its URI.

    Raises ValueError for an empty table or a schema other than the table's, OSError
    for local write failures and google.api_core exceptions for GCS ones.
    """
    if data.num_rows == 0:
        raise ValueError(f"{route.table}: refusing to write an empty file over {day}")
    if not data.schema.equals(route.arrow_schema()):
        raise ValueError(f"{route.table}: data schema differs from the table schema")
    payload = parquet_bytes(data)
    uri = object_uri(root, route, day)
    if root.startswith("gs://"):
        _write_gcs(uri, payload)
    else:
        files.write_atomically(Path(uri), payload)
    return uri


def read(root: str, route: lake.Route, day: date) -> pa.Table | None:
    """The date's current object with the table's schema, or None when there is none.

    Raises OSError / pyarrow.ArrowInvalid for an unreadable local file and
    google.api_core exceptions for GCS failures (the download retries transient ones).
    """
    uri = object_uri(root, route, day)
    if root.startswith("gs://"):
        bucket_name, _, name = uri.removeprefix("gs://").partition("/")
        try:
            payload = _storage_client().bucket(bucket_name).blob(name).download_as_bytes()
        except NotFound:
            return None
        return pq.read_table(io.BytesIO(payload), schema=route.arrow_schema())
    if not Path(uri).exists():
        return None
    return pq.read_table(uri, schema=route.arrow_schema())


def _write_gcs(uri: str, payload: bytes) -> None:
    bucket_name, _, name = uri.removeprefix("gs://").partition("/")
    blob = _storage_client().bucket(bucket_name).blob(name)
    # Uploads without a generation precondition are not retried by default; this one
    # rewrites identical bytes under a deterministic name, so retrying is safe.
    blob.upload_from_string(payload, content_type=lake.PARQUET_CONTENT_TYPE, retry=Retry())


def _storage_client() -> storage.Client:
    """A storage client; anonymous against STORAGE_EMULATOR_HOST (the local emulator)."""
    if os.environ.get("STORAGE_EMULATOR_HOST"):
        return storage.Client.create_anonymous_client()
    return storage.Client()
