# mypy: disable-error-code="no-untyped-call"
# (Apache Beam's API carries no type annotations.)
"""No row the pipeline writes can fail its table: arbitrary trades, loaded into the warehouse.

Records of every shape (valid, out of range, malformed) go through the pipeline's
own steps: ``Trade.from_record`` and ``compact`` decide between a trade and a dead
letter, the window combine and ``rows`` build the stream_prices, late_trades and
dead_letters rows, ``sinks.encode`` writes the objects, and the local warehouse loads
them from the GCS emulator with the production schemas and no bad record allowed.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from apache_beam.utils.windowed_value import PaneInfo, PaneInfoTiming
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from beam_pipeline import rows, sinks
from beam_pipeline.combine import WindowTrades, window_stats
from beam_pipeline.trades import EARLIEST_TRADE_MS, TradeTuple, compact, window_start_ms
from coinpulse import lake, messages
from coinpulse.trade import INT64_MAX, InvalidTrade, Trade
from commands.duckdb_warehouse import DuckDBWarehouse

pytestmark = pytest.mark.integration

PANE = PaneInfo(False, False, PaneInfoTiming.LATE, 7, 6)
DAY_MS = 86_400_000

digits = st.text("0123456789", min_size=1, max_size=40)
decimal_strings = st.one_of(
    st.builds(lambda whole, fraction: f"{whole}.{fraction}", digits, digits),
    digits,
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["1_000", " 5", "\u0665", "+1", "-1", "0", "0.00000000", "1e3"]),
    st.text(max_size=12),
)
RECORDS = st.fixed_dictionaries(
    {
        "symbol": st.sampled_from(["BTCUSDT", "ETHUSDT", "SOLUSDT", "NOPEUSDT"]),
        "trade_id": st.one_of(st.integers(-5, INT64_MAX + 5), st.integers(0, 20)),
        "price": decimal_strings,
        "quantity": decimal_strings,
        "trade_time": st.one_of(
            st.integers(EARLIEST_TRADE_MS - DAY_MS, EARLIEST_TRADE_MS + 3 * DAY_MS),
            st.integers(-(2**63), 2**64),
        ),
        "is_buyer_maker": st.one_of(st.booleans(), st.just("true")),
    }
)


def pipeline_rows(records: list[dict[str, Any]]) -> dict[str, list[rows.Row]]:
    """The rows the pipeline writes for these records, per output."""
    dead_letters: list[rows.Row] = []
    windows: defaultdict[tuple[str, int], WindowTrades] = defaultdict(WindowTrades)
    late: list[rows.Row] = []
    for record in records:
        try:
            trade = Trade.from_record(record)
            compacted: TradeTuple = compact(trade)
        except InvalidTrade as error:
            dead_letters.append(
                messages.dead_letter_record("test", str(error), repr(record), None, 0)
            )
            continue
        windows[trade.symbol, window_start_ms(compacted[1])].add([compacted])
        late += rows.late_trade_rows(trade.symbol, [compacted], 300, compacted[1])
    prices = [
        rows.window_row(symbol, start, window_stats(trades), PANE, start + 61_000)
        for (symbol, start), trades in windows.items()
    ]
    return {"stream_prices": prices, "late_trades": late, "dead_letters": dead_letters}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(records=st.lists(RECORDS, min_size=1, max_size=30))
def test_every_row_written_from_arbitrary_trades_loads_with_the_production_schema(
    records: list[dict[str, Any]], tmp_path: Path, lake_objects: Any
) -> None:
    warehouse = DuckDBWarehouse(tmp_path / "warehouse.duckdb", lake_objects.store)
    for output, batch in pipeline_rows(records).items():
        if not batch:
            continue
        data, digest = sinks.encode(batch)
        name = lake.backfill_object(output, "2026-01-01", digest)
        target = lake.resolve(name)
        assert target is not None
        _, source = lake_objects.upload(name, data)
        assert warehouse.load(source, target).rows == len(batch)
