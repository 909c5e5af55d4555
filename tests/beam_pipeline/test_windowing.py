# mypy: disable-error-code="no-untyped-call"
# (Apache Beam's API carries no type annotations.)
"""Panes of the streaming windows under TestStream: early, on time, late and droppable.

Runs the real transforms (lateness gate, windows, combine, row format) on the
BundleBasedDirectRunner in streaming mode; TestStream drives the watermark and
processing time, so every pane and figure is exact.
"""

from __future__ import annotations

from typing import Any

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing import test_stream
from apache_beam.testing.util import assert_that, equal_to

from beam_pipeline.lateness import HOLD_SECONDS, SetAsideLateTrades
from beam_pipeline.trades import TradeTuple, timestamped_chunk
from beam_pipeline.windowing import WINDOW_STATE_MARGIN_SECONDS, ComputeWindows

pytestmark = pytest.mark.unit

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z, in seconds
LATENESS = 120
EARLY = 10
# The gate's ticks walk a pair's silent minutes up to this far past its newest trade;
# shorter than the production day so that each drain to infinity stays quick here.
IDLE_HORIZON_MINUTES = 90
# The gate holds a pair's first chunks this long (processing time) while it probes
# the watermark; TestStream's processing clock starts at the epoch.
HOLD = HOLD_SECONDS + 1
PANE_FIELDS = (
    "window_start",
    "pane_index",
    "pane_timing",
    "trade_count",
    "duplicates_dropped",
    "open_price",
    "high_price",
    "low_price",
    "close_price",
    "base_volume",
    "quote_volume",
    "taker_buy_base_volume",
    "avg_price",
    "vwap",
    "price_stddev",
    "last_trade_id",
)


def stream_clock() -> int:
    """Processing time as the DirectRunner's TestStream clock starts it: the epoch."""
    return 0


def trade(trade_id: int, second: float, price: str, quantity: str, maker: bool) -> TradeTuple:
    return (trade_id, int((T0 + second) * 1000), price, quantity, maker)


def chunk(*trades: TradeTuple) -> Any:
    return timestamped_chunk("BTCUSDT", list(trades))


def pane(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[field] for field in PANE_FIELDS)


T1 = trade(1, 5, "100.0", "1.0", False)
T2 = trade(2, 10, "101.0", "2.0", True)
T3 = trade(3, 30, "99.5", "1.0", False)
T4 = trade(4, 50, "102.0", "0.5", False)
T5 = trade(5, 50, "98.0", "1.0", True)  # same trade time as T4: the larger id closes
LATE_T7 = trade(7, 55, "90.0", "1.0", False)
NEXT_MINUTE = trade(10, 65, "200.0", "1.0", False)


def assert_stream(
    stream: test_stream.TestStream, panes: list[tuple[Any, ...]], late_ids: list[int]
) -> None:
    """Run the gate and the windows over a TestStream; assert the panes and late trade ids."""
    options = PipelineOptions(["--runner=BundleBasedDirectRunner", "--streaming"])
    with beam.Pipeline(options=options) as pipeline:
        chunks = pipeline | stream
        in_time, late = chunks | SetAsideLateTrades(
            LATENESS,
            watermark_is_wall_clock=False,
            idle_horizon_minutes=IDLE_HORIZON_MINUTES,
            clock=stream_clock,
        )
        rows = in_time | ComputeWindows(
            streaming=True, early_firing_seconds=EARLY, allowed_lateness_seconds=LATENESS
        )
        assert_that(rows | "Panes" >> beam.Map(pane), equal_to(panes), label="AssertPanes")
        assert_that(
            late | "Late" >> beam.Map(lambda row: row["trade_id"]),
            equal_to(late_ids),
            label="AssertLate",
        )


def test_early_on_time_late_and_droppable_panes_are_exact() -> None:
    stream = (
        test_stream.TestStream()
        .advance_watermark_to(T0)
        .add_elements([chunk(T1, T2), chunk(T1)])  # T1 twice: a duplicate in another chunk
        .advance_processing_time(HOLD)  # the gate admits the pair's first chunks
        .advance_processing_time(EARLY + 1)  # EARLY pane 0
        .add_elements([chunk(T3), timestamped_chunk("BTCUSDT", [NEXT_MINUTE])])
        .advance_watermark_to(T0 + 60)  # ON_TIME pane 1 of the first minute
        .advance_watermark_to(T0 + 90)
        .add_elements([chunk(T5, T4, T2)])  # late but allowed; T2 again; T5 arrives first
        # Past window end + allowed lateness: the gate's timer fires, yet the window
        # state is kept WINDOW_STATE_MARGIN_SECONDS longer, so only the gate stops T7.
        .advance_watermark_to(T0 + 60 + LATENESS + 1)
        .add_elements([chunk(LATE_T7)])
        .advance_watermark_to_infinity()
    )
    assert LATENESS + 1 < LATENESS + WINDOW_STATE_MARGIN_SECONDS
    minute, next_minute = "2026-01-01T00:00:00.000Z", "2026-01-01T00:01:00.000Z"
    panes = [
        # window, pane, timing, trades, dupes, open, high, low, close, base, quote,
        # taker buy base, avg, vwap, stddev, closing trade id
        (minute, 0, "EARLY", 2, 1, "100.0", "101.0", "100.0", "101.0", "3.0", "302.00",
         "1.0", "100.500000000000", "100.666666666667", "0.500000000000", 2),
        (minute, 1, "ON_TIME", 3, 1, "100.0", "101.0", "99.5", "99.5", "4.0", "401.50",
         "2.0", "100.166666666667", "100.375000000000", "0.623609564462", 3),
        (minute, 2, "LATE", 5, 2, "100.0", "102.0", "98.0", "98.0", "5.5", "550.50",
         "2.5", "100.100000000000", "100.090909090909", "1.356465996625", 5),
        (next_minute, 0, "ON_TIME", 1, 0, "200.0", "200.0", "200.0", "200.0", "1.0", "200.00",
         "1.0", "200.000000000000", "200.000000000000", "0.000000000000", 10),
    ]  # fmt: skip
    assert_stream(stream, panes, late_ids=[7])


def test_a_window_never_seen_before_is_late_once_a_newer_one_expired() -> None:
    old = trade(20, -120, "50.0", "1.0", False)  # two minutes before T0
    stream = (
        test_stream.TestStream()
        .advance_watermark_to(T0)
        .add_elements([chunk(T1)])
        .advance_processing_time(HOLD)
        .advance_watermark_to(T0 + 60 + LATENESS + 1)
        .add_elements([timestamped_chunk("BTCUSDT", [old])])
        .advance_watermark_to_infinity()
    )
    on_time = (
        "2026-01-01T00:00:00.000Z", 0, "ON_TIME", 1, 0, "100.0", "100.0", "100.0", "100.0",
        "1.0", "100.00", "1.0", "100.000000000000", "100.000000000000", "0.000000000000", 1,
    )  # fmt: skip
    assert_stream(stream, [on_time], late_ids=[20])


def test_without_early_firing_a_window_fires_once_on_time() -> None:
    options = PipelineOptions(["--runner=BundleBasedDirectRunner", "--streaming"])
    stream = (
        test_stream.TestStream()
        .advance_watermark_to(T0)
        .add_elements([chunk(T1, T2)])
        .advance_processing_time(60)
        .advance_watermark_to_infinity()
    )
    with beam.Pipeline(options=options) as pipeline:
        rows = (
            pipeline
            | stream
            | ComputeWindows(streaming=True, early_firing_seconds=0, allowed_lateness_seconds=0)
        )
        assert_that(
            rows | beam.Map(lambda row: (row["pane_timing"], row["trade_count"])),
            equal_to([("ON_TIME", 2)]),
        )


def test_a_trade_for_a_minute_that_had_no_data_before_an_outage_is_late_not_lost() -> None:
    # An outage: heartbeats move the watermark an hour on while the pair sends nothing;
    # then backfilled trades arrive for a silent minute long expired, and for one still open.
    silent = trade(30, 10 * 60 + 5, "70.0", "1.0", False)  # minute 10: expired by now
    fresh = trade(31, 60 * 60 + 5, "71.0", "1.0", False)  # minute 60: in time
    stream = (
        test_stream.TestStream()
        .advance_watermark_to(T0)
        .add_elements([chunk(T1)])
        .advance_processing_time(HOLD)
        .advance_watermark_to(T0 + 60 * 60)
        .add_elements(
            [timestamped_chunk("BTCUSDT", [silent]), timestamped_chunk("BTCUSDT", [fresh])]
        )
        .advance_watermark_to_infinity()
    )
    first = (
        "2026-01-01T00:00:00.000Z", 0, "ON_TIME", 1, 0, "100.0", "100.0", "100.0", "100.0",
        "1.0", "100.00", "1.0", "100.000000000000", "100.000000000000", "0.000000000000", 1,
    )  # fmt: skip
    last = (
        "2026-01-01T01:00:00.000Z", 0, "ON_TIME", 1, 0, "71.0", "71.0", "71.0", "71.0",
        "1.0", "71.00", "1.0", "71.000000000000", "71.000000000000", "0.000000000000", 31,
    )  # fmt: skip
    assert_stream(stream, [first, last], late_ids=[30])


def one_trade_pane(minute: int, price: str, trade_id: int) -> tuple[Any, ...]:
    start = f"2026-01-01T00:{minute:02d}:00.000Z"
    return (
        start, 0, "ON_TIME", 1, 0, price, price, price, price, "1.0", f"{price}0", "1.0",
        f"{price}00000000000", f"{price}00000000000", "0.000000000000", trade_id,
    )  # fmt: skip


def test_a_trade_older_than_the_first_minute_a_run_saw_is_late_not_lost() -> None:
    # A run starts with the watermark at minute 10. Its first chunk for the pair is for
    # minute 10; the next is for minute 0, expired long ago, before any tick of the pair.
    # The gate holds both and probes; the hold ends well inside the window's margin.
    assert HOLD_SECONDS < WINDOW_STATE_MARGIN_SECONDS
    old = trade(40, 5, "60.0", "1.0", False)
    fresh = trade(41, 10 * 60 + 5, "61.0", "1.0", False)
    stream = (
        test_stream.TestStream()
        .advance_watermark_to(T0 + 10 * 60)
        .add_elements([timestamped_chunk("BTCUSDT", [fresh])])
        .add_elements([timestamped_chunk("BTCUSDT", [old])])
        .advance_processing_time(HOLD)
        .advance_watermark_to_infinity()
    )
    assert_stream(stream, [one_trade_pane(10, "61.0", 41)], late_ids=[40])


def test_a_run_s_first_trades_out_of_order_but_in_time_reach_their_windows() -> None:
    first = trade(50, 65, "80.0", "1.0", False)  # minute 1, arrives first
    second = trade(49, 5, "79.0", "1.0", False)  # minute 0, in time
    stream = (
        test_stream.TestStream()
        .advance_watermark_to(T0 + 30)
        .add_elements([timestamped_chunk("BTCUSDT", [first])])
        .add_elements([timestamped_chunk("BTCUSDT", [second])])
        .advance_processing_time(HOLD)
        .advance_watermark_to_infinity()
    )
    panes = [one_trade_pane(0, "79.0", 49), one_trade_pane(1, "80.0", 50)]
    assert_stream(stream, panes, late_ids=[])
