# mypy: disable-error-code="no-untyped-call"
# (Apache Beam's API carries no type annotations.)
"""The lateness gate: trades too late for their window become rows, not silence.

Beam drops an element whose window has expired (the watermark is past the
window's end plus the allowed lateness) inside the GroupByKey, without a trace.
A DoFn cannot read the watermark (apache/beam#23379), so the gate learns it in
one of two ways and diverts such trades to a late-data output first:

- ``TimerLatenessGate`` (Dataflow, Flink, TestStream): per symbol, an
  event-time timer that ticks once a minute, at every window end + allowed
  lateness + 1 µs, i.e. exactly when Beam would start dropping that window's
  data; from then on the gate sends the window's trades (and any older
  window's) to the late output. It ticks through minutes without trades too.
  A trade for a minute the ticks have not reached (a pair's first trades of a
  run, an older minute arriving after them, the first trade after the idle
  horizon) is held for HOLD_SECONDS while a probe timer at its expiry asks the
  runner: a probe behind the watermark fires at once, and the held trades it
  covers are late; those still held when the hold ends are admitted.
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
from apache_beam.coders import FastPrimitivesCoder, VarIntCoder
from apache_beam.metrics.metric import Metrics
from apache_beam.pvalue import PCollection, TaggedOutput
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import (
    BagStateSpec,
    ReadModifyWriteStateSpec,
    TimerSpec,
    on_timer,
)
from apache_beam.utils.timestamp import Timestamp

from beam_pipeline import rows
from beam_pipeline.trades import WINDOW_MS, Chunk, timestamped_chunk, window_start_ms

LATE = "late"  # tag of the late-data output

# End (ms) of the newest window whose allowed lateness the watermark has passed.
EXPIRED_UNTIL = ReadModifyWriteStateSpec("expired_until", VarIntCoder())
# End (ms) of the window whose expiry the armed tick waits for (absent: no tick armed).
TICK_WINDOW = ReadModifyWriteStateSpec("tick_window", VarIntCoder())
# End (ms) of the last window the ticks walk to: the idle horizon past the newest data.
HORIZON = ReadModifyWriteStateSpec("horizon", VarIntCoder())
# Chunks for minutes the ticks have not reached, waiting for the probe's answer.
HELD = BagStateSpec("held", FastPrimitivesCoder())
TICK = TimerSpec("tick", TimeDomain.WATERMARK)
# Fires at the earliest held window's expiry: at once when the watermark is past it.
PROBE = TimerSpec("probe", TimeDomain.WATERMARK)
# Ends a hold: what the probe has not declared late by then is admitted.
RELEASE = TimerSpec("release", TimeDomain.REAL_TIME)
_EXPIRED_UNTIL = beam.DoFn.StateParam(EXPIRED_UNTIL)
_TICK_WINDOW = beam.DoFn.StateParam(TICK_WINDOW)
_HORIZON = beam.DoFn.StateParam(HORIZON)
_HELD = beam.DoFn.StateParam(HELD)
_TICK = beam.DoFn.TimerParam(TICK)
_PROBE = beam.DoFn.TimerParam(PROBE)
_RELEASE = beam.DoFn.TimerParam(RELEASE)
# How long a chunk for a minute the ticks have not reached waits for the probe. A
# timer set behind the watermark fires with the next bundle on Dataflow and at the next
# watermark on Flink (sub-second while trades flow); the hold must stay well inside the
# window's margin (windowing.WINDOW_STATE_MARGIN_SECONDS, 60 s), since an admitted chunk
# whose window the watermark had already passed would be dropped by Beam. It delays a
# pair's first windows of a run by this much.
HOLD_SECONDS = 10
# How long a pair's ticks go on after its newest trade: a day of minutes. A trade that
# arrives after a longer silence, for a minute already expired but later than the
# horizon, is not recognised as late (Beam drops it); a backfill from the exchange
# refills such minutes. At a drain (watermark to the end of time) each pair ticks at
# most this many times: 1,440 timer firings per pair, nothing for Dataflow or Flink.
DEFAULT_IDLE_HORIZON_MINUTES = 24 * 60


def _window_end(chunk: Chunk) -> int:
    return window_start_ms(chunk[1][0][1]) + WINDOW_MS


class _Gate(beam.DoFn):
    """``clock``: the runner's processing time in epoch ms (the wall clock, but for a
    TestStream's clock in tests)."""

    def __init__(
        self, allowed_lateness_seconds: int, clock: Callable[[], int] = rows.now_ms
    ) -> None:
        super().__init__()
        self.lateness_ms = allowed_lateness_seconds * 1000
        self.clock = clock
        self.late_trades = Metrics.counter("pipeline", "late_trades")

    def set_aside(self, chunk: Chunk) -> TaggedOutput:
        self.late_trades.inc(len(chunk[1]))
        return TaggedOutput(LATE, chunk)


class TimerLatenessGate(_Gate):
    """Keyed by symbol: learns from a ticking event-time timer which windows have expired.

    The tick for a window fires when the watermark passes that window's end plus the
    allowed lateness (plus 1 µs), i.e. exactly when Beam starts dropping its data; it
    then re-arms for the next minute, whether or not that minute had trades, so
    minutes a pair was silent in (an outage with the watermark moving on) expire too.
    The ticks walk minute by minute up to ``idle_horizon_minutes`` past the newest trade.

    A chunk for a window before the armed tick's (or with no tick armed) is one the
    gate knows nothing about: it is held, a probe is set at the earliest held window's
    expiry, and a release HOLD_SECONDS later admits whatever the probe has not set
    aside. Trades are only ever admitted or set aside, never dropped by the gate.
    """

    def __init__(
        self,
        allowed_lateness_seconds: int,
        idle_horizon_minutes: int = DEFAULT_IDLE_HORIZON_MINUTES,
        clock: Callable[[], int] = rows.now_ms,
    ) -> None:
        super().__init__(allowed_lateness_seconds, clock)
        self.idle_horizon_ms = idle_horizon_minutes * WINDOW_MS
        self.held_chunks = Metrics.counter("pipeline", "chunks_held_for_watermark")

    def process(  # noqa: PLR0917 (Beam passes state and timers as positional defaults)
        self,
        chunk: Chunk,
        expired: Any = _EXPIRED_UNTIL,
        tick_window: Any = _TICK_WINDOW,
        horizon: Any = _HORIZON,
        held: Any = _HELD,
        tick: Any = _TICK,
        probe: Any = _PROBE,
        release: Any = _RELEASE,
    ) -> Iterator[Chunk | TaggedOutput]:
        end = _window_end(chunk)
        if end <= (expired.read() or 0):
            yield self.set_aside(chunk)
            return
        armed = tick_window.read()
        if armed is not None and end >= armed:
            self._track(end, tick_window, horizon, tick)
            yield chunk
            return
        waiting = list(held.read())
        if not waiting:
            release.set(Timestamp(micros=(self.clock() + HOLD_SECONDS * 1000) * 1000))
        held.add(chunk)
        self.held_chunks.inc()
        self._probe(probe, [*waiting, chunk])

    def _probe(self, probe: Any, waiting: list[Chunk]) -> None:
        probe.set(self._expiry(min(_window_end(chunk) for chunk in waiting)))

    def _expiry(self, end: int) -> Timestamp:
        return Timestamp(micros=(end + self.lateness_ms) * 1000 + 1)

    def _track(self, end: int, tick_window: Any, horizon: Any, tick: Any) -> None:
        """The ticks cover the window ending at ``end`` from now on."""
        horizon.write(max(horizon.read() or 0, end + self.idle_horizon_ms))
        armed = tick_window.read()
        if armed is None or end < armed:
            self._arm(tick, tick_window, end)

    def _arm(self, tick: Any, tick_window: Any, end: int) -> None:
        tick.set(self._expiry(end))
        tick_window.write(end)

    @on_timer(TICK)
    def expire(
        self,
        expired: Any = _EXPIRED_UNTIL,
        tick_window: Any = _TICK_WINDOW,
        horizon: Any = _HORIZON,
        tick: Any = _TICK,
    ) -> None:
        end = tick_window.read()
        if end is None:
            return
        expired.write(max(end, expired.read() or 0))
        if end + WINDOW_MS <= (horizon.read() or 0):
            self._arm(tick, tick_window, end + WINDOW_MS)
        else:
            tick_window.clear()

    @on_timer(PROBE)
    def answered(
        self,
        fired: Any = beam.DoFn.TimestampParam,
        expired: Any = _EXPIRED_UNTIL,
        held: Any = _HELD,
        probe: Any = _PROBE,
    ) -> Iterator[TaggedOutput]:
        """The watermark has passed ``fired``: every window ending by then, less the
        allowed lateness, has expired; its held chunks are late."""
        until = max((fired.micros - 1) // 1000 - self.lateness_ms, expired.read() or 0)
        expired.write(until)
        still = []
        for chunk in held.read():
            if _window_end(chunk) <= until:
                yield self.set_aside(chunk)
            else:
                still.append(chunk)
        held.clear()
        for chunk in still:
            held.add(chunk)
        if still:
            self._probe(probe, still)

    @on_timer(RELEASE)
    def released(  # noqa: PLR0917 (as process)
        self,
        expired: Any = _EXPIRED_UNTIL,
        tick_window: Any = _TICK_WINDOW,
        horizon: Any = _HORIZON,
        held: Any = _HELD,
        tick: Any = _TICK,
        probe: Any = _PROBE,
    ) -> Iterator[Any]:
        """The hold is over: what the probe has not set aside is in time."""
        waiting = list(held.read())
        held.clear()
        probe.clear()
        until = expired.read() or 0
        for chunk in waiting:
            end = _window_end(chunk)
            if end <= until:
                yield self.set_aside(chunk)
            else:
                self._track(end, tick_window, horizon, tick)
                # Held in state, the chunk lost its timestamp: its earliest trade's.
                yield timestamped_chunk(chunk[0], list(chunk[1]))


class ClockLatenessGate(_Gate):
    """For a watermark that is the wall clock: late when now > window end + lateness."""

    def process(self, chunk: Chunk) -> Iterator[Chunk | TaggedOutput]:
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
    reading Pub/Sub); otherwise the TimerLatenessGate, ticking up to
    ``idle_horizon_minutes`` past each pair's newest trade. Counts set-aside trades
    in the ``pipeline/late_trades`` counter. ``clock``: the runner's processing time.
    """

    def __init__(
        self,
        allowed_lateness_seconds: int,
        *,
        watermark_is_wall_clock: bool,
        idle_horizon_minutes: int = DEFAULT_IDLE_HORIZON_MINUTES,
        clock: Callable[[], int] = rows.now_ms,
    ) -> None:
        super().__init__()
        self.allowed_lateness_seconds = allowed_lateness_seconds
        self.gate: _Gate = (
            ClockLatenessGate(allowed_lateness_seconds, clock)
            if watermark_is_wall_clock
            else TimerLatenessGate(allowed_lateness_seconds, idle_horizon_minutes, clock)
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
