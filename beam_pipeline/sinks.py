# mypy: disable-error-code="no-untyped-call"
# (Apache Beam's API carries no type annotations.)
"""JSONL objects with deterministic, create-only names, inside the load-job budget.

Every object becomes one BigQuery load job, and BigQuery allows 1,500 load jobs
per table per day, failed ones included. Streaming therefore never writes an
object per window or per pane: rows are stamped with the processing time at
which they were emitted and gathered into fixed flush periods (default 120 s,
starting FLUSH_OFFSET_SECONDS after even minutes so that the on-time panes of
the minute that just closed make the next flush), and each flush period becomes
one object per output: 86,400 / 120 = 720 objects a day for the windows table,
under half the quota. A row that reaches the flush after its period was closed
(a race at the boundary) goes into a late pane of that period, i.e. one extra
object; see docs/pipeline.md for the arithmetic.

Names follow the lake contract (``coinpulse.lake``):
``<prefix>/<output>/dt=YYYY-MM-DD/hh=HH/<output>-<period start>-p<pane>-<digest>.jsonl``
in streaming and ``<prefix>/<output>/dt=YYYY-MM-DD/<output>-backfill-<digest>.jsonl``
in backfill, where the digest is the SHA-256 of the content. Objects are created
only if absent (``if_generation_match=0`` on GCS, an atomic hard link locally):
a retry of the same write is a no-op, and different content (a later pane, a
restart) always has a different name, so nothing is ever overwritten.

A backfill rerun of the same input must write nothing new, so its rows carry no
time of the run: a batch window's ``emitted_at`` is its window end (it fires once,
on time, from the whole input; ``windowing.FormatWindowRow``), which keeps it in
the digest, where it tells streamed rows apart, and makes the rerun's object the
same name and bytes as the first run's: a no-op.
"""

from __future__ import annotations

import functools
import hashlib
import math
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics.metric import Metrics
from apache_beam.pvalue import PCollection
from apache_beam.transforms import trigger, window
from google.api_core.exceptions import PreconditionFailed
from google.cloud import storage

from beam_pipeline import rows
from coinpulse import lake

# BigQuery: 1,500 load jobs per table per day, failed jobs included
# (cloud.google.com/bigquery/quotas#load_jobs). CoinPulse keeps each table's
# objects at or below half of it, leaving room for retries and backfills.
LOAD_JOBS_PER_TABLE_PER_DAY = 1500
OBJECT_BUDGET_PER_DAY = LOAD_JOBS_PER_TABLE_PER_DAY // 2
DEFAULT_FLUSH_SECONDS = 120  # 720 objects a day per output
FLUSH_OFFSET_SECONDS = 10  # periods start 10 s after a minute: on-time panes are in by then
SECONDS_PER_DAY = 86_400


class OutputError(ValueError):
    """An output prefix or flush setting that CoinPulse refuses; the message says why."""


def check_flush_seconds(flush_seconds: int) -> int:
    """The flush period if it keeps each output inside the object budget. Raises OutputError."""
    objects = math.ceil(SECONDS_PER_DAY / flush_seconds) if flush_seconds > 0 else math.inf
    if objects > OBJECT_BUDGET_PER_DAY:
        shortest = math.ceil(SECONDS_PER_DAY / OBJECT_BUDGET_PER_DAY)
        raise OutputError(
            f"a flush every {flush_seconds} s writes {objects} objects a day per output; each "
            f"becomes a BigQuery load job and CoinPulse keeps to {OBJECT_BUDGET_PER_DAY} a day "
            f"(half of BigQuery's {LOAD_JOBS_PER_TABLE_PER_DAY} per table): use at least "
            f"{shortest} s"
        )
    return flush_seconds


def check_prefix(prefix: str) -> str:
    """A gs:// prefix or a local folder, without a trailing slash. Raises OutputError."""
    if "://" in prefix and not prefix.startswith("gs://"):
        raise OutputError(f"output {prefix!r}: use a gs://bucket/prefix or a local folder")
    if prefix.startswith("gs://") and len(prefix.rstrip("/")) <= len("gs://"):
        raise OutputError(f"output {prefix!r} names no bucket")
    return prefix.rstrip("/") or "/"


@functools.cache
def _gcs_client() -> storage.Client:
    return storage.Client()


def create_only(path: str, data: bytes) -> bool:
    """Create an object or file unless it exists. True if created, False if it existed.

    GCS: one upload with if_generation_match=0 (the client retries transient
    errors; a retry that finds its own earlier upload gets 412, i.e. False).
    Local: the content goes to a hidden temporary file that is then hard-linked
    to its name, which fails atomically if the name exists.
    """
    if path.startswith("gs://"):
        bucket, _, name = path.removeprefix("gs://").partition("/")
        blob = _gcs_client().bucket(bucket).blob(name)
        try:
            blob.upload_from_string(
                data, content_type=lake.JSONL_CONTENT_TYPE, if_generation_match=0
            )
        except PreconditionFailed:
            return False
        return True
    folder, name = os.path.split(path)
    os.makedirs(folder, exist_ok=True)
    temporary = os.path.join(folder, f".{name}.{uuid.uuid4().hex}.tmp")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        os.link(temporary, path)
    except FileExistsError:
        return False
    finally:
        os.unlink(temporary)
    return True


def encode(batch: Iterable[rows.Row]) -> tuple[bytes, str]:
    """Rows -> (JSONL sorted line by line, so equal rows give equal bytes; digest)."""
    data = b"".join(sorted(rows.to_jsonl([row]) for row in batch))
    return data, hashlib.sha256(data).hexdigest()[:16]


class _WriteObjects(beam.DoFn):
    def __init__(self, prefix: str, output: str) -> None:
        super().__init__()
        self.prefix, self.output = prefix, output
        self.objects = Metrics.counter("sink", f"{output}_objects")
        self.rows = Metrics.counter("sink", f"{output}_rows")

    def write(self, name: Callable[[str], str], batch: Iterable[rows.Row]) -> str:
        """Write the batch as the object ``name(digest)`` under the prefix; returns its path."""
        data, digest = encode(batch)
        path = FileSystems.join(self.prefix, name(digest))
        if create_only(path, data):
            self.objects.inc()
            self.rows.inc(data.count(b"\n"))
        return path


class WriteFlushPeriod(_WriteObjects):
    """(output, rows of one flush period and pane) -> one object; yields its path.

    A pane without rows (Flink fires empty late panes) writes nothing: an empty
    object would cost a load job and load nothing.
    """

    def process(
        self,
        element: tuple[str, Iterable[rows.Row]],
        period: Any = beam.DoFn.WindowParam,
        pane: Any = beam.DoFn.PaneInfoParam,
    ) -> Iterator[str]:
        batch = list(element[1])
        if not batch:
            return
        start = datetime.fromtimestamp(period.start.micros / 1e6, UTC)
        name = functools.partial(lake.streaming_object, self.output, start, pane.index)
        yield self.write(name, batch)


class WriteDay(_WriteObjects):
    """(day, rows whose partition time falls on that day) -> one object; yields its path."""

    def process(self, element: tuple[str, Iterable[rows.Row]]) -> Iterator[str]:
        day, batch = element
        yield self.write(functools.partial(lake.backfill_object, self.output, day), batch)


class WriteStreamingObjects(beam.PTransform[PCollection[rows.Row], PCollection[str]]):
    """Rows of one output -> one create-only JSONL object per flush period.

    Rows are restamped with the processing time and windowed into fixed flush
    periods; each period fires when the watermark passes its end, and again
    (one more object) only for rows that reach it after that.
    """

    def __init__(self, prefix: str, output: str, flush_seconds: int) -> None:
        super().__init__()
        self.prefix, self.output = check_prefix(prefix), output
        self.flush_seconds = check_flush_seconds(flush_seconds)

    def expand(self, batch: PCollection[rows.Row]) -> PCollection[str]:
        paths: PCollection[str] = (
            batch
            | "StampEmitTime"
            >> beam.Map(lambda row: window.TimestampedValue(row, rows.now_ms() / 1000))
            | "FlushPeriods"
            >> beam.WindowInto(
                window.FixedWindows(self.flush_seconds, FLUSH_OFFSET_SECONDS),
                trigger=trigger.AfterWatermark(late=trigger.AfterCount(1)),
                accumulation_mode=trigger.AccumulationMode.DISCARDING,
                allowed_lateness=self.flush_seconds,
            )
            | "Key" >> beam.Map(lambda row, output=self.output: (output, row))
            | "Gather" >> beam.GroupByKey()
            | "Write" >> beam.ParDo(WriteFlushPeriod(self.prefix, self.output))
        )
        return paths


class WriteBatchObjects(beam.PTransform[PCollection[rows.Row], PCollection[str]]):
    """Rows of one output -> one create-only JSONL object per UTC day of ``day_field``."""

    def __init__(self, prefix: str, output: str, day_field: str) -> None:
        super().__init__()
        self.prefix, self.output, self.day_field = check_prefix(prefix), output, day_field

    def expand(self, batch: PCollection[rows.Row]) -> PCollection[str]:
        paths: PCollection[str] = (
            batch
            | "Unwindow" >> beam.WindowInto(window.GlobalWindows())
            | "ByDay" >> beam.Map(lambda row, field=self.day_field: (row[field][:10], row))
            | "Gather" >> beam.GroupByKey()
            | "Write" >> beam.ParDo(WriteDay(self.prefix, self.output))
        )
        return paths
