# mypy: disable-error-code="no-untyped-call"
# (Apache Beam's API carries no type annotations.)
"""Rows match their table schemas, and exact values load into DuckDB without rounding."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from apache_beam.utils.windowed_value import PaneInfo, PaneInfoTiming

from beam_pipeline import rows
from beam_pipeline.combine import WindowTrades, window_stats
from coinpulse import messages, schemas

pytestmark = pytest.mark.unit

T0 = 1_767_225_600_000
LATE = PaneInfo(False, False, PaneInfoTiming.LATE, 3, 1)


def extreme_window() -> rows.Row:
    """Large prices and quantities with all 8 decimals, over many trades."""
    accumulator = WindowTrades()
    accumulator.add(
        (i, T0 + i, f"{99_999_999 - i}.12345678", f"{9_999 + i}.87654321", i % 3 == 0)
        for i in range(2_000)
    )
    return rows.window_row("BTCUSDT", T0, window_stats(accumulator), LATE, emitted_at=T0 + 61_000)


def names(table: str) -> list[str]:
    return [field["name"] for field in schemas.fields(table)]


def test_every_row_kind_has_exactly_its_table_columns() -> None:
    assert list(extreme_window()) == names("stream_prices")
    late = rows.late_trade_rows("ETHUSDT", [(1, T0, "1.5", "2", True)], 300, T0)
    assert list(late[0]) == names("late_trades")
    assert list(messages.dead_letter_record("s", "r", b"\xff raw", "src", T0)) == names(
        "dead_letters"
    )


def test_pane_and_times_are_written_as_the_schema_says() -> None:
    row = extreme_window()
    assert (row["pane_index"], row["pane_timing"]) == (3, "LATE")
    assert (row["window_start"], row["window_end"]) == (
        "2026-01-01T00:00:00.000Z",
        "2026-01-01T00:01:00.000Z",
    )
    assert row["emitted_at"] == "2026-01-01T00:01:01.000Z"
    assert row["coin_id"] == "bitcoin"


def test_exact_values_fit_their_declared_precision_and_scale(tmp_path: Path) -> None:
    row = extreme_window()
    path = tmp_path / "rows.jsonl"
    path.write_bytes(rows.to_jsonl([row]))
    connection = duckdb.connect()
    connection.execute(f"CREATE TABLE stream_prices ({schemas.duckdb_columns('stream_prices')})")
    columns = ", ".join(
        f"{f['name']}: '{schemas.duckdb_type(f)}'" for f in schemas.fields("stream_prices")
    )
    connection.execute(
        "INSERT INTO stream_prices SELECT * FROM read_json(?, format = 'newline_delimited', "
        f"columns = {{{columns}}})",
        [str(path)],
    )
    loaded = connection.execute("SELECT * FROM stream_prices").fetchone()
    assert loaded is not None
    for field, value in zip(names("stream_prices"), loaded, strict=True):
        if isinstance(value, Decimal):
            assert value == Decimal(row[field]), field


def test_late_rows_hold_decimal_values_not_the_input_strings() -> None:
    (late,) = rows.late_trade_rows("ETHUSDT", [(1, T0, "007.50", "0001", True)], 300, T0)
    assert (late["price"], late["quantity"]) == ("7.50", "1")
    assert late["trade_time"] == late["window_start"] == "2026-01-01T00:00:00.000Z"
