"""The lake contract: how writers name their objects and which table each one loads into.

The lake is a ``gs://bucket[/root]`` (or, locally, a folder). Every writer names its
objects deterministically, and the GCS-finalize loader routes an object by its name
alone, so both sides agree through this module and nothing else:

- the Beam pipeline writes JSONL for the outputs ``stream_prices``, ``late_trades``
  and ``dead_letters``: ``<output>/dt=YYYY-MM-DD/hh=HH/<output>-<period>-p<pane>-<digest>.jsonl``
  while streaming and ``<output>/dt=YYYY-MM-DD/<output>-backfill-<digest>.jsonl`` in
  backfill; each name is written once (create-only) and never replaced;
- the CoinGecko lane writes Parquet, one object per table and date:
  ``coingecko/<kind>/snapshot_date=YYYY-MM-DD/<kind>.parquet``; a rerun of a date
  writes a new generation of the same name.

Everything else is not data: quarantined copies (``quarantine/<name>`` with the
error beside it in ``<name>.error.json``), temporary and marker objects, and names
no writer produces. Each table's schema is ``coinpulse/schemas/<table>.json``; its
layout here (partitioning, clustering) is what Terraform declares, which a test checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

import pyarrow as pa

from coinpulse import schemas

DATASET = "crypto_raw"
# The event Cloud Storage sends through Eventarc when an object generation is written
# (cloud.google.com/eventarc/docs/reference/supported-events#cloud-storage).
FINALIZED = "google.cloud.storage.object.v1.finalized"
QUARANTINE_PREFIX = "quarantine/"
QUARANTINE_ERROR_SUFFIX = ".error.json"
JSONL, PARQUET = "JSONL", "PARQUET"
APPEND, REPLACE_DATE, UPSERT = "append", "replace_date", "upsert"
# IANA media types: NDJSON (no registration; the de-facto one) and Apache Parquet (2024).
JSONL_CONTENT_TYPE = "application/x-ndjson"
PARQUET_CONTENT_TYPE = "application/vnd.apache.parquet"

STREAM_OBJECT = re.compile(
    r"^(?:.+/)?(?P<output>stream_prices|late_trades|dead_letters)/dt=\d{4}-\d{2}-\d{2}/"
    r"(?:hh=\d{2}/)?(?P=output)-[^/]+\.jsonl$"
)
COINGECKO_OBJECT = re.compile(
    r"^(?:(?P<root>.+)/)?coingecko/(?P<kind>markets|ohlc)/"
    r"snapshot_date=(?P<date>\d{4}-\d{2}-\d{2})/(?P=kind)\.parquet$"
)
# Folders and names of temporary objects: Beam's file sinks (beam-temp-*, .temp-beam-*,
# _temp), hidden files of atomic writes (.NAME.UUID.tmp).
TEMPORARY_PARTS = ("beam-temp", "_temp", ".")


@dataclass(frozen=True, slots=True)
class Partitioning:
    """BigQuery time partitioning: HOUR or DAY on a column."""

    unit: str
    field: str


@dataclass(frozen=True, slots=True)
class Route:
    """A table of the raw dataset, the lake folder of its objects and how a load writes it."""

    table: str  # also the name of its schema file
    folder: str  # the objects' folder under the lake root
    source_format: str  # JSONL or PARQUET
    write: str  # APPEND, REPLACE_DATE (the object's date) or UPSERT (on key)
    partitioning: Partitioning
    clustering: tuple[str, ...]
    key: tuple[str, ...] = ()  # unique in every file and in the table (UPSERT, REPLACE_DATE)
    version: str | None = None  # UPSERT: a stored row is replaced only by a row >= on this
    dataset: str = DATASET

    @property
    def prefix(self) -> str:
        return f"{self.folder}/"

    def arrow_schema(self) -> pa.Schema:
        return schemas.arrow_schema(self.table)


@dataclass(frozen=True, slots=True)
class Target:
    """The route of one object, with the date of a REPLACE_DATE object."""

    route: Route
    day: date | None = None


STREAM_PRICES = Route(
    "stream_prices",
    "stream_prices",
    JSONL,
    APPEND,
    Partitioning("HOUR", "window_start"),
    ("symbol",),
)
LATE_TRADES = Route(
    "late_trades", "late_trades", JSONL, APPEND, Partitioning("DAY", "window_start"), ("symbol",)
)
DEAD_LETTERS = Route(
    "dead_letters", "dead_letters", JSONL, APPEND, Partitioning("DAY", "received_at"), ("stage",)
)
COINGECKO_MARKETS = Route(
    "coingecko_markets",
    "coingecko/markets",
    PARQUET,
    REPLACE_DATE,
    Partitioning("DAY", "snapshot_date"),
    ("coin_id",),
    key=("snapshot_date", "coin_id"),
)
COINGECKO_OHLC = Route(
    "coingecko_ohlc_candles",
    "coingecko/ohlc",
    PARQUET,
    UPSERT,
    Partitioning("DAY", "candle_close_time"),
    ("coin_id",),
    key=("coin_id", "candle_close_time"),
    version="ingested_at",
)
STREAM_ROUTES: tuple[Route, ...] = (STREAM_PRICES, LATE_TRADES, DEAD_LETTERS)
COINGECKO_ROUTES: tuple[Route, ...] = (COINGECKO_MARKETS, COINGECKO_OHLC)
ROUTES: tuple[Route, ...] = STREAM_ROUTES + COINGECKO_ROUTES
_BY_TABLE = {route.table: route for route in ROUTES}
_BY_FOLDER = {route.folder: route for route in ROUTES}


def streaming_object(output: str, period_start: datetime, pane: int, digest: str) -> str:
    """The name of one streaming flush period's object of an output, under the lake root."""
    folder = period_start.strftime("dt=%Y-%m-%d/hh=%H")
    stamp = period_start.strftime("%Y%m%dT%H%M%SZ")
    return f"{output}/{folder}/{output}-{stamp}-p{pane}-{digest}.jsonl"


def backfill_object(output: str, day: str, digest: str) -> str:
    """The name of one backfill day's object of an output (``day`` is YYYY-MM-DD)."""
    return f"{output}/dt={day}/{output}-backfill-{digest}.jsonl"


def coingecko_object(route: Route, day: date) -> str:
    """The name of a CoinGecko table's object for a date, under the lake root."""
    kind = route.folder.rsplit("/", 1)[-1]
    return f"{route.folder}/snapshot_date={day.isoformat()}/{kind}.parquet"


def skip_reason(name: str) -> str | None:
    """Why an object is not data (a quarantined copy, temporary, a marker), else None."""
    if name.startswith(QUARANTINE_PREFIX):
        return "quarantined copy"
    parts = name.split("/")
    if any(part.startswith(TEMPORARY_PARTS) for part in parts) or name.endswith(".tmp"):
        return "temporary object"
    if parts[-1].startswith("_") or not parts[-1]:
        return "marker or folder object"
    return None


def resolve(name: str) -> Target | None:
    """The table an object loads into, or None when no writer produces such a name."""
    stream = STREAM_OBJECT.match(name)
    if stream:
        return Target(_BY_TABLE[stream["output"]])
    coingecko = COINGECKO_OBJECT.match(name)
    if coingecko is None:
        return None
    try:
        day = date.fromisoformat(coingecko["date"])
    except ValueError:
        return None
    return Target(_BY_FOLDER[f"coingecko/{coingecko['kind']}"], day)
