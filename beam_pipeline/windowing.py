# mypy: disable-error-code="no-untyped-call"
# (Apache Beam's API carries no type annotations.)
"""Chunks of trades -> one row per (symbol, window, pane).

Event-time FixedWindows of one minute. In streaming, a window fires early every
few seconds of processing time while it is open, on time when the watermark
passes its end, and again for every bundle of late data; panes accumulate, so
each row restates the whole window (readers pick the best row with
``coinpulse.windows``). In batch (backfill) the watermark only moves at the end of the input,
so every window fires exactly once, on time (and processing-time triggers
cannot run in batch at all).

The allowed lateness itself is enforced by the lateness gate in front of the
window (``lateness.py``): Beam would drop trades past the allowed lateness
without a trace, the gate sets them aside as rows. The window keeps its state
WINDOW_STATE_MARGIN_SECONDS longer than the gate's lateness, so that a trade
the gate lets through is never dropped by the window while the gate's view of
the watermark catches up.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import apache_beam as beam
from apache_beam.pvalue import PCollection
from apache_beam.transforms import trigger, window
from apache_beam.utils.windowed_value import PaneInfo, PaneInfoTiming

from beam_pipeline import rows
from beam_pipeline.combine import WindowStats, WindowStatsFn
from beam_pipeline.trades import WINDOW_MS, WINDOW_SECONDS, Chunk, TradeTuple, window_start_ms

# How much longer the window keeps its state than the allowed lateness: covers
# the time it takes the lateness gate to learn that the watermark has moved
# (one timer firing, or one Pub/Sub pull for the local reader).
WINDOW_STATE_MARGIN_SECONDS = 60
# The one pane of a batch window: first, last, on time (the default trigger in batch).
BATCH_PANE = PaneInfo(
    is_first=True,
    is_last=True,
    timing=PaneInfoTiming.ON_TIME,
    index=0,
    nonspeculative_index=0,
)


def window_into(
    *, streaming: bool, early_firing_seconds: int, allowed_lateness_seconds: int
) -> beam.WindowInto:
    """The windowing of the window combine, in streaming or in batch."""
    if not streaming:
        return beam.WindowInto(window.FixedWindows(WINDOW_SECONDS))
    early = trigger.AfterProcessingTime(early_firing_seconds) if early_firing_seconds else None
    return beam.WindowInto(
        window.FixedWindows(WINDOW_SECONDS),
        trigger=trigger.AfterWatermark(early=early, late=trigger.AfterCount(1)),
        accumulation_mode=trigger.AccumulationMode.ACCUMULATING,
        allowed_lateness=allowed_lateness_seconds + WINDOW_STATE_MARGIN_SECONDS,
    )


class FormatWindowRow(beam.DoFn):
    """((symbol, window start), WindowStats) in a window pane -> a stream_prices row.

    ``emitted_at`` is the processing time in streaming. In batch it is the window's
    end: every window fires once, on time, from the whole input, so a rerun of the
    same input writes the same rows, hence the same object name (the content digest),
    and adds nothing. For the same reason a batch row states that one on-time pane
    (BATCH_PANE) rather than the runner's pane: the FnApiRunner reports it, but
    Flink's batch GroupByKey reports none (timing UNKNOWN), and the rows must not
    depend on the runner.
    """

    def __init__(self, *, streaming: bool) -> None:
        super().__init__()
        self.streaming = streaming

    def process(
        self, element: tuple[tuple[str, int], WindowStats], pane: Any = beam.DoFn.PaneInfoParam
    ) -> Iterator[rows.Row]:
        (symbol, start_ms), stats = element
        if self.streaming:
            yield rows.window_row(symbol, start_ms, stats, pane, rows.now_ms())
        else:
            yield rows.window_row(symbol, start_ms, stats, BATCH_PANE, start_ms + WINDOW_MS)


def key_by_window(chunk: Chunk) -> tuple[tuple[str, int], tuple[TradeTuple, ...]]:
    """(symbol, trades) -> ((symbol, window start ms), trades)."""
    symbol, trades = chunk
    return (symbol, window_start_ms(trades[0][1])), trades


class ComputeWindows(beam.PTransform[PCollection[Chunk], PCollection[rows.Row]]):
    """Timestamped (symbol, trades) chunks -> stream_prices rows, one per pane.

    Windows by event time, combines each symbol-minute with WindowStatsFn
    (exact dedupe by trade id, exact sums) and formats each firing with its
    pane. The key is (symbol, window start), so each key holds one window:
    runners' trigger bookkeeping then stays constant per key instead of
    growing with the number of minutes a symbol has. Nothing here can fail on
    valid chunks; duplicates are dropped and counted in duplicates_dropped.
    """

    def __init__(
        self, *, streaming: bool, early_firing_seconds: int = 0, allowed_lateness_seconds: int = 0
    ) -> None:
        super().__init__()
        self._streaming = streaming
        self._windowing = window_into(
            streaming=streaming,
            early_firing_seconds=early_firing_seconds,
            allowed_lateness_seconds=allowed_lateness_seconds,
        )

    def expand(self, chunks: PCollection[Chunk]) -> PCollection[rows.Row]:
        windows: PCollection[rows.Row] = (
            chunks
            | "KeyByWindow" >> beam.Map(key_by_window)
            | "Window" >> self._windowing
            | "Combine" >> beam.CombinePerKey(WindowStatsFn())
            | "Format" >> beam.ParDo(FormatWindowRow(streaming=self._streaming))
        )
        return windows
