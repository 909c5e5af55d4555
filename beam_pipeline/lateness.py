# mypy: disable-error-code="no-untyped-call"
# (Apache Beam's API carries no type annotations.)
"""The lateness gate: trades too late for their window become rows, not silence.

Beam drops an element whose window has expired (the watermark is past the
window's end plus the allowed lateness) inside the GroupByKey, without a trace.
A DoFn cannot read the watermark (apache/beam#23379), so the gate learns it in
one of two ways and diverts such trades to a late-data output first:

- ``TimerLatenessGate`` (Dataflow, Flink, TestStream): per symbol, one
  event-time timer per window seen, set at window end + allowed lateness +
  1 µs. A timer fires exactly when the watermark passes that instant, i.e. when
  Beam would start dropping that window's data; from then on the gate sends the
  window's trades (and any older window's) to the late output.
- ``ClockLatenessGate`` (the DirectRunner's Pub/Sub reader): that reader sets
  the watermark to the wall clock at every pull, so the gate compares with the
  wall clock, which also covers the first messages after a restart.

Either way a trade admitted by the gate reaches a window that keeps its state
WINDOW_STATE_MARGIN_SECONDS longer, so the gate never has to be faster than Beam.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import apache_beam as beam
from apache_beam.coders import VarIntCoder
from apache_beam.metrics.metric import Metrics
from apache_beam.pvalue import PCollection, TaggedOutput
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import (
    ReadModifyWriteStateSpec,
    TimerSpec,
    on_timer,
)
from apache_beam.utils.timestamp import Timestamp

from beam_pipeline import rows
from beam_pipeline.trades import WINDOW_MS, Chunk, window_start_ms

LATE = "late"  # tag of the late-data output

# End (ms) of the newest window whose allowed lateness the watermark has passed.
EXPIRED_UNTIL = ReadModifyWriteStateSpec("expired_until", VarIntCoder())
EXPIRY = TimerSpec("expiry", TimeDomain.WATERMARK)
_EXPIRED_UNTIL = beam.DoFn.StateParam(EXPIRED_UNTIL)
_EXPIRY = beam.DoFn.TimerParam(EXPIRY)


def _window_end(chunk: Chunk) -> int:
    return window_start_ms(chunk[1][0][1]) + WINDOW_MS


class _Gate(beam.DoFn):
    def __init__(self, allowed_lateness_seconds: int) -> None:
        super().__init__()
        self.lateness_ms = allowed_lateness_seconds * 1000
        self.late_trades = Metrics.counter("pipeline", "late_trades")

    def set_aside(self, chunk: Chunk) -> TaggedOutput[str, Chunk]:
        self.late_trades.inc(len(chunk[1]))
        return TaggedOutput(LATE, chunk)


class TimerLatenessGate(_Gate):
    """Keyed by symbol: learns from event-time timers which windows have expired."""

    def process(
        self,
        chunk: Chunk,
        expired: Any = _EXPIRED_UNTIL,
        expiry: Any = _EXPIRY,
    ) -> Iterator[Chunk | TaggedOutput[str, Any]]:
        end = _window_end(chunk)
        if end <= (expired.read() or 0):
            yield self.set_aside(chunk)
            return
        expiry.set(
            Timestamp(micros=(end + self.lateness_ms) * 1000 + 1), dynamic_timer_tag=str(end)
        )
        yield chunk

    @on_timer(EXPIRY)
    def expire(
        self,
        window_end: Any = beam.DoFn.DynamicTimerTagParam,
        expired: Any = _EXPIRED_UNTIL,
    ) -> None:
        end = int(window_end)
        if end > (expired.read() or 0):
            expired.write(end)


class ClockLatenessGate(_Gate):
    """For a watermark that is the wall clock: late when now > window end + lateness."""

    def __init__(
        self, allowed_lateness_seconds: int, clock: Callable[[], int] = rows.now_ms
    ) -> None:
        super().__init__(allowed_lateness_seconds)
        self.clock = clock

    def process(self, chunk: Chunk) -> Iterator[Chunk | TaggedOutput[str, Any]]:
        if self.clock() > _window_end(chunk) + self.lateness_ms:
            yield self.set_aside(chunk)
        else:
            yield chunk


class FormatLateTrades(beam.DoFn):
    """Set-aside chunks -> late_trades rows."""

    def __init__(self, allowed_lateness_seconds: int) -> None:
        super().__init__()
        self.allowed_lateness_seconds = allowed_lateness_seconds

    def process(self, chunk: Chunk) -> Iterator[rows.Row]:
        symbol, trades = chunk
        yield from rows.late_trade_rows(
            symbol, trades, self.allowed_lateness_seconds, rows.now_ms()
        )


class SetAsideLateTrades(
    beam.PTransform[PCollection[Chunk], tuple[PCollection[Chunk], PCollection[rows.Row]]]
):
    """Chunks -> (chunks in time for their window, late_trades rows).

    ``watermark_is_wall_clock`` selects the ClockLatenessGate (DirectRunner
    reading Pub/Sub); otherwise the TimerLatenessGate. Counts set-aside trades in
    the ``pipeline/late_trades`` counter.
    """

    def __init__(self, allowed_lateness_seconds: int, *, watermark_is_wall_clock: bool) -> None:
        super().__init__()
        self.allowed_lateness_seconds = allowed_lateness_seconds
        self.gate: _Gate = (
            ClockLatenessGate(allowed_lateness_seconds)
            if watermark_is_wall_clock
            else TimerLatenessGate(allowed_lateness_seconds)
        )

    def expand(
        self, chunks: PCollection[Chunk]
    ) -> tuple[PCollection[Chunk], PCollection[rows.Row]]:
        gated = (
            chunks
            # Typed (symbol, trades): the stateful gate's keys get a deterministic str coder.
            | "TypeKeys" >> beam.Map(lambda chunk: chunk).with_output_types(tuple[str, Any])
            | "Gate" >> beam.ParDo(self.gate).with_outputs(LATE, main="in_time")
        )
        late_rows = gated[LATE] | "FormatLate" >> beam.ParDo(
            FormatLateTrades(self.allowed_lateness_seconds)
        )
        return gated.in_time, late_rows
