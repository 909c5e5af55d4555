# mypy: disable-error-code="no-untyped-call"
# (Apache Beam's API carries no type annotations.)
"""The window CombineFn: exact dedupe, open/close order, exact sums; and a property
test against an independent DuckDB SQL reference over random trades with
duplicates, in shuffled order, split into random chunks and merged in any order.
"""

from __future__ import annotations

import random
from datetime import datetime
from decimal import Decimal
from typing import Any

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.util import assert_that
from apache_beam.utils.windowed_value import PaneInfo, PaneInfoTiming
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from beam_pipeline import options, rows
from beam_pipeline.combine import WindowStatsFn, WindowTrades, window_stats
from beam_pipeline.trades import TradeTuple, chunk_by_window, window_start_ms
from beam_pipeline.windowing import ComputeWindows
from reference import windows_sql

pytestmark = pytest.mark.unit

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z in ms
ON_TIME = PaneInfo(True, True, PaneInfoTiming.ON_TIME, 0, 0)


def epoch_ms(rfc3339: str) -> int:
    return int(datetime.fromisoformat(rfc3339).timestamp() * 1000)


def record(symbol: str, trade: TradeTuple) -> dict[str, Any]:
    trade_id, trade_time, price, quantity, maker = trade
    return {
        "symbol": symbol,
        "trade_id": trade_id,
        "trade_time": trade_time,
        "price": price,
        "quantity": quantity,
        "is_buyer_maker": maker,
    }


def test_a_duplicate_split_across_accumulators_counts_once() -> None:
    fn = WindowStatsFn()
    trade = (1, T0, "10.5", "2.0", False)
    left = fn.add_input(fn.create_accumulator(), (trade, (2, T0 + 1, "11.0", "1.0", True)))
    right = fn.add_input(fn.create_accumulator(), (trade,))
    stats = fn.extract_output(fn.merge_accumulators([left, right]))
    assert (stats.trade_count, stats.duplicates_dropped) == (2, 1)
    assert stats.base_volume == Decimal("3.0")
    assert stats.quote_volume == Decimal("32.00")


def test_open_and_close_follow_trade_time_then_trade_id_not_arrival() -> None:
    trades = [(7, T0 + 5, "3", "1", False), (9, T0, "2", "1", False), (8, T0, "1", "1", False)]
    for order in (trades, trades[::-1]):
        accumulator = WindowTrades()
        accumulator.add(order)
        stats = window_stats(accumulator)
        assert (stats.open_price, stats.first_trade_id) == (Decimal("1"), 8)
        assert (stats.close_price, stats.last_trade_id) == (Decimal("3"), 7)


def test_two_records_claiming_one_trade_id_resolve_the_same_whatever_the_order() -> None:
    a, b = (1, T0, "10", "1", False), (1, T0, "9", "1", False)
    results = set()
    for order in ([a, b], [b, a]):
        accumulator = WindowTrades()
        accumulator.add(order)
        results.add(window_stats(accumulator))
    assert len(results) == 1


def test_sums_are_exact_where_floats_are_not() -> None:
    accumulator = WindowTrades()
    accumulator.add([(i, T0 + i, "0.10000000", "0.10000000", False) for i in range(3)])
    stats = window_stats(accumulator)
    assert stats.price_sum == Decimal("0.3")
    assert stats.quote_volume == Decimal("0.03")
    assert stats.price_sq_sum == Decimal("0.03")


decimals = st.builds(
    lambda units, places: format(Decimal(units).scaleb(-places), "f"),
    st.integers(min_value=1, max_value=10**9),
    st.integers(min_value=0, max_value=8),
)
trade_sets = st.lists(
    st.tuples(
        st.sampled_from(["BTCUSDT", "ETHUSDT"]),
        st.integers(min_value=0, max_value=179_999),  # three minutes of ms
        decimals,
        decimals,
        st.booleans(),
    ),
    min_size=1,
    max_size=60,
)


def shuffled_with_duplicates(
    draws: list[tuple[str, int, str, str, bool]], seed: int
) -> tuple[list[tuple[str, TradeTuple]], list[dict[str, Any]]]:
    """Distinct trades (id = position) -> (shuffled trades with exact duplicates, records)."""
    rng = random.Random(seed)
    trades = [
        (symbol, (trade_id, T0 + offset, price, quantity, maker))
        for trade_id, (symbol, offset, price, quantity, maker) in enumerate(draws)
    ]
    delivered = trades + rng.choices(trades, k=rng.randrange(len(trades) + 1))
    rng.shuffle(delivered)
    return delivered, [record(symbol, trade) for symbol, trade in delivered]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(draws=trade_sets, seed=st.integers(min_value=0, max_value=2**32))
def test_every_window_equals_duckdb_whatever_the_chunks_and_merges(
    draws: list[tuple[str, int, str, str, bool]], seed: int
) -> None:
    delivered, records = shuffled_with_duplicates(draws, seed)
    expected = windows_sql.windows_from_records(records)
    rng = random.Random(seed)
    fn = WindowStatsFn()
    accumulators: dict[tuple[str, int], list[WindowTrades]] = {}
    for element in chunk_by_window(delivered):
        symbol, trades = element.value
        key = (symbol, window_start_ms(trades[0][1]))
        partials = accumulators.setdefault(key, [])
        if not partials or rng.random() < 0.5:
            partials.append(fn.create_accumulator())
        fn.add_input(rng.choice(partials), trades)
    assert set(accumulators) == set(expected)
    for (symbol, start), partials in accumulators.items():
        rng.shuffle(partials)
        stats = fn.extract_output(fn.merge_accumulators(partials))
        row = rows.window_row(symbol, start, stats, ON_TIME, emitted_at=T0)
        assert windows_sql.mismatches(row, expected[symbol, start]) == []


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(draws=trade_sets, seed=st.integers(min_value=0, max_value=2**32))
def test_the_batch_pipeline_equals_duckdb(
    draws: list[tuple[str, int, str, str, bool]], seed: int
) -> None:
    delivered, records = shuffled_with_duplicates(draws, seed)
    expected = windows_sql.windows_from_records(records)

    def check(written: list[rows.Row]) -> None:
        assert len(written) == len(expected)
        for row in written:
            key = (row["symbol"], epoch_ms(row["window_start"]))
            assert windows_sql.mismatches(row, expected[key]) == []

    batch = PipelineOptions([f"--runner={options.BATCH_RUNNER}"])
    with beam.Pipeline(options=batch) as pipeline:
        written = (
            pipeline
            | beam.Create(list(chunk_by_window(delivered)))
            | ComputeWindows(streaming=False)
        )
        assert_that(written, check)
