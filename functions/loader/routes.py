"""Which warehouse table an object of the lake loads into, and how.

Object names come from their writers: the Beam pipeline writes
``[ROOT/]<output>/dt=YYYY-MM-DD/[hh=HH/]<output>-....jsonl`` for the outputs
stream_prices, late_trades and dead_letters (beam_pipeline/sinks.py); the
CoinGecko lane writes ``[ROOT/]coingecko/<kind>/snapshot_date=YYYY-MM-DD/<kind>.parquet``
(functions/coingecko/lake.py, whose ``route`` this module reuses). Everything
else is not data: quarantined copies, temporary and marker objects, and names
no writer produces are acknowledged without a load.

Each table's schema is ``coinpulse/schemas/<table>.json``; its layout here
(partitioning, clustering) is what Terraform declares, which a test checks.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date

from functions.coingecko import lake

RAW_DATASET = lake.DATASET
JSONL, PARQUET = "JSONL", "PARQUET"
APPEND, REPLACE_DATE, UPSERT = "append", lake.REPLACE_DATE, lake.UPSERT
QUARANTINE_PREFIX = "quarantine/"
# BigQuery job ids: letters, digits, '_' and '-', at most 1,024 characters
# (cloud.google.com/bigquery/docs/reference/rest/v2/JobReference).
JOB_ID_DIGEST_CHARS = 40

STREAM_OBJECT = re.compile(
    r"^(?:.+/)?(?P<output>stream_prices|late_trades|dead_letters)/dt=\d{4}-\d{2}-\d{2}/"
    r"(?:hh=\d{2}/)?(?P=output)-[^/]+\.jsonl$"
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
    """A table of the raw dataset, the format of its objects and how a load writes it."""

    table: str  # also the name of its schema file
    source_format: str  # JSONL or PARQUET
    write: str  # APPEND, REPLACE_DATE (the object's date) or UPSERT (on key)
    partitioning: Partitioning
    clustering: tuple[str, ...]
    key: tuple[str, ...] = ()  # unique key for UPSERT and REPLACE_DATE
    version: str | None = None  # UPSERT: a stored row is replaced only by a row >= on this
    dataset: str = RAW_DATASET


@dataclass(frozen=True, slots=True)
class Target:
    """The route of one object, with the date of a REPLACE_DATE object."""

    route: Route
    day: date | None = None


STREAM_PRICES = Route(
    "stream_prices", JSONL, APPEND, Partitioning("HOUR", "window_start"), ("symbol",)
)
LATE_TRADES = Route("late_trades", JSONL, APPEND, Partitioning("DAY", "window_start"), ("symbol",))
DEAD_LETTERS = Route("dead_letters", JSONL, APPEND, Partitioning("DAY", "received_at"), ("stage",))
COINGECKO_MARKETS = Route(
    lake.MARKETS.table,
    PARQUET,
    REPLACE_DATE,
    Partitioning("DAY", "snapshot_date"),
    ("coin_id",),
    lake.MARKETS.key,
)
COINGECKO_OHLC = Route(
    lake.OHLC.table,
    PARQUET,
    UPSERT,
    Partitioning("DAY", "candle_close_time"),
    ("coin_id",),
    lake.OHLC.key,
    version="ingested_at",
)
ROUTES: tuple[Route, ...] = (
    STREAM_PRICES,
    LATE_TRADES,
    DEAD_LETTERS,
    COINGECKO_MARKETS,
    COINGECKO_OHLC,
)
_BY_TABLE = {route.table: route for route in ROUTES}


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
    match = STREAM_OBJECT.match(name)
    if match:
        return Target(_BY_TABLE[match["output"]])
    coingecko = lake.route(name)
    if coingecko:
        table, day = coingecko
        return Target(_BY_TABLE[table.table], day)
    return None


def job_id(
    table: str, bucket: str, name: str, generation: int, *, attempt: int = 1, action: str = "load"
) -> str:
    """The id of a job for an object: the same object generation always gets the same id.

    A redelivered event therefore meets BigQuery's "already exists" (or the local
    ledger's row). ``attempt`` > 1 only follows a job that failed transiently;
    ``action`` names the job's kind (``load``, or ``merge`` after an UPSERT's load).
    """
    digest = hashlib.sha256(f"{bucket}/{name}#{generation}".encode()).hexdigest()
    base = f"{action}_{table}_{digest[:JOB_ID_DIGEST_CHARS]}"
    return base if attempt == 1 else f"{base}_a{attempt}"
