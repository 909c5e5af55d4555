"""Where the daily lane's Parquet files go, and how the loader must load them.

The lake is a local directory or a ``gs://bucket[/prefix]``. Under it, one object per
table and run date, with a deterministic name::

    coingecko/markets/snapshot_date=YYYY-MM-DD/markets.parquet
    coingecko/ohlc/snapshot_date=YYYY-MM-DD/ohlc.parquet

A rerun of a date writes the same name again (on GCS: a new generation of the same
object, hence a new finalize event), so the lake never holds two versions of a date.

Load semantics, which the GCS-finalize loader implements for each object whose name
matches ``OBJECT_NAME`` (``route`` does the matching; temporary files never match):

- ``coingecko/markets/`` -> ``crypto_raw.coingecko_markets``, ``REPLACE_DATE``: the
  rows of the object's snapshot_date are replaced by the file's rows, never appended
  (BigQuery: load with WRITE_TRUNCATE into the partition ``coingecko_markets$YYYYMMDD``
  of a table partitioned by DAY on snapshot_date; DuckDB: DELETE that date and INSERT
  in one transaction). Key: (snapshot_date, coin_id).
- ``coingecko/ohlc/`` -> ``crypto_raw.coingecko_ohlc_candles``, ``UPSERT``: a candle is
  unique on (coin_id, candle_close_time). A candle already in the table is replaced by
  the file's version (a later fetch: complete where the stored one was still forming),
  new candles are inserted, candles absent from the file stay (BigQuery: load into a
  staging table, then MERGE; DuckDB: DELETE the file's keys and INSERT).

Both loads use the explicit schema from ``coinpulse.schemas`` (source format PARQUET,
never autodetect). Every file holds each key at most once and is never empty: a run
with nothing to write leaves the date's previous object (and its loaded rows) alone.

Writes are atomic: locally a temporary file in the same directory is renamed over the
target; on GCS an object appears only when its upload completes. The GCS upload is
retried on transient errors, which is safe because it rewrites identical bytes.
"""

from __future__ import annotations

import io
import os
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from google.api_core.retry import Retry
from google.cloud import storage

from coinpulse import schemas

DATASET = "crypto_raw"
MARKETS_PREFIX = "coingecko/markets/"
OHLC_PREFIX = "coingecko/ohlc/"
REPLACE_DATE = "replace_date"
UPSERT = "upsert"
# IANA media type registered for Apache Parquet (2024).
PARQUET_CONTENT_TYPE = "application/vnd.apache.parquet"

OBJECT_NAME = re.compile(
    r"^(?:(?P<root>.+)/)?coingecko/(?P<kind>markets|ohlc)/"
    r"snapshot_date=(?P<date>\d{4}-\d{2}-\d{2})/(?P=kind)\.parquet$"
)


@dataclass(frozen=True, slots=True)
class LakeTable:
    """One lake prefix, the warehouse table it loads into and how."""

    kind: str  # "markets" or "ohlc": the folder and file name
    table: str  # warehouse table in DATASET; also the schema file's name
    write: str  # REPLACE_DATE or UPSERT
    key: tuple[str, ...]  # unique in every file and in the table

    @property
    def prefix(self) -> str:
        return f"coingecko/{self.kind}/"

    def object_name(self, day: date) -> str:
        return f"{self.prefix}snapshot_date={day.isoformat()}/{self.kind}.parquet"

    def arrow_schema(self) -> pa.Schema:
        return schemas.arrow_schema(self.table)


MARKETS = LakeTable("markets", "coingecko_markets", REPLACE_DATE, ("snapshot_date", "coin_id"))
OHLC = LakeTable("ohlc", "coingecko_ohlc_candles", UPSERT, ("coin_id", "candle_close_time"))
TABLES: tuple[LakeTable, ...] = (MARKETS, OHLC)


def route(name: str) -> tuple[LakeTable, date] | None:
    """An object name (optionally under a root folder) -> its table and date, else None."""
    match = OBJECT_NAME.match(name)
    if match is None:
        return None
    try:
        day = date.fromisoformat(match["date"])
    except ValueError:
        return None
    table = MARKETS if match["kind"] == MARKETS.kind else OHLC
    return table, day


def to_arrow(rows: Iterable[Mapping[str, Any]], table: LakeTable) -> pa.Table:
    """Rows -> an Arrow table with the table's exact schema. Raises ValueError.

    Fails on a row whose columns are not exactly the schema's, a null in a REQUIRED
    column, a value of the wrong type, or a key that occurs twice.
    """
    schema = table.arrow_schema()
    names = set(schema.names)
    listed = list(rows)
    seen: set[tuple[Any, ...]] = set()
    for row in listed:
        if set(row) != names:
            raise ValueError(
                f"{table.table} row columns differ from the schema: "
                f"missing {sorted(names - set(row))}, unknown {sorted(set(row) - names)}"
            )
        key = tuple(row[column] for column in table.key)
        if key in seen:
            raise ValueError(f"{table.table}: key {key} occurs twice")
        seen.add(key)
    try:
        data = pa.Table.from_pylist(listed, schema=schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as error:
        raise ValueError(f"{table.table}: {error}") from None
    for field in schema:
        if not field.nullable and data.column(field.name).null_count:
            raise ValueError(f"{table.table}: REQUIRED column {field.name} holds nulls")
    return data


def parquet_bytes(data: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(data, sink, compression="snappy")
    return sink.getvalue()


def object_uri(lake: str, table: LakeTable, day: date) -> str:
    """The full path or gs:// URI of a table's object for a date."""
    if lake.startswith("gs://"):
        return f"{lake.rstrip('/')}/{table.object_name(day)}"
    return str(Path(lake) / table.object_name(day))


def write(lake: str, table: LakeTable, day: date, data: pa.Table) -> str:
    """Write one date's file atomically, replacing any previous one. Returns its URI.

    Raises ValueError for an empty table or a schema other than the table's, OSError
    for local write failures and google.api_core exceptions for GCS ones.
    """
    if data.num_rows == 0:
        raise ValueError(f"{table.table}: refusing to write an empty file over {day}")
    if not data.schema.equals(table.arrow_schema()):
        raise ValueError(f"{table.table}: data schema differs from the table schema")
    payload = parquet_bytes(data)
    uri = object_uri(lake, table, day)
    if lake.startswith("gs://"):
        _write_gcs(uri, payload)
    else:
        _write_local(Path(uri), payload)
    return uri


def _write_local(target: Path, payload: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.parent / f".{target.name}.{uuid.uuid4().hex}.tmp"
    try:
        with open(temporary, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def _write_gcs(uri: str, payload: bytes) -> None:
    bucket_name, _, name = uri.removeprefix("gs://").partition("/")
    blob = _storage_client().bucket(bucket_name).blob(name)
    # Uploads without a generation precondition are not retried by default; this one
    # rewrites identical bytes under a deterministic name, so retrying is safe.
    blob.upload_from_string(payload, content_type=PARQUET_CONTENT_TYPE, retry=Retry())


def _storage_client() -> storage.Client:
    """A storage client; anonymous against STORAGE_EMULATOR_HOST (the local emulator)."""
    if os.environ.get("STORAGE_EMULATOR_HOST"):
        return storage.Client.create_anonymous_client()
    return storage.Client()
