"""One answer per window: every awkward mix of loaded rows gives the complete window."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from coinpulse import lake, windows
from commands import warehouse_db
from commands.duckdb_warehouse import DuckDBWarehouse

COMPLETE = 10  # trades of every complete window below


def row(samples: Any, minute: int, pane: int, trades: int, emitted: str) -> dict[str, Any]:
    built = samples.window_row(minute=minute, pane=pane)
    built.update(trade_count=trades, last_trade_id=1000 + trades, emitted_at=emitted)
    return dict(built)


def at(minute: int, second: int) -> str:
    return f"2026-05-18T12:{minute:02d}:{second:02d}.000Z"


@pytest.mark.integration
def test_the_rule_picks_the_complete_window_whatever_was_loaded(
    tmp_path: Path, lake_objects: Any, samples: Any
) -> None:
    objects = {
        # minute 0: a backfill and its rerun (older name scheme: a second object).
        "stream_prices/dt=2026-05-18/stream_prices-backfill-0a.jsonl": [
            row(samples, 0, 0, COMPLETE, at(1, 0)),
        ],
        "stream_prices/dt=2026-05-18/stream_prices-backfill-0b.jsonl": [
            row(samples, 0, 0, COMPLETE, at(1, 0)),
        ],
        # minute 1: partial pane 3, then a restart whose panes start at 0 again.
        "stream_prices/dt=2026-05-18/hh=12/stream_prices-20260518T120210Z-p0-1a.jsonl": [
            row(samples, 1, 3, 6, at(1, 50)),
        ],
        "stream_prices/dt=2026-05-18/hh=12/stream_prices-20260518T120410Z-p0-1b.jsonl": [
            row(samples, 1, 0, 4, at(3, 0)),
            row(samples, 1, 1, COMPLETE, at(3, 20)),
        ],
        # minute 2: streamed panes up to a partial one, then a complete backfill
        # (pane 0, emitted at the window end, earlier than every streamed pane).
        "stream_prices/dt=2026-05-18/hh=12/stream_prices-20260518T120410Z-p0-2a.jsonl": [
            row(samples, 2, 0, 3, at(2, 20)),
            row(samples, 2, 1, 5, at(2, 40)),
            row(samples, 2, 2, 7, at(3, 1)),
        ],
        "stream_prices/dt=2026-05-18/stream_prices-backfill-2b.jsonl": [
            row(samples, 2, 0, COMPLETE, at(3, 0)),
        ],
        # minute 3: a restart whose pane 0 is already the complete window, after pane 3.
        "stream_prices/dt=2026-05-18/hh=12/stream_prices-20260518T120610Z-p0-3a.jsonl": [
            row(samples, 3, 3, 8, at(3, 55)),
            row(samples, 3, 0, COMPLETE, at(5, 0)),
        ],
    }
    # every object delivered twice: the same bytes under a second name
    duplicated = {
        **objects,
        **{name.replace(".jsonl", "dup.jsonl"): r for name, r in objects.items()},
    }
    warehouse = DuckDBWarehouse(tmp_path / "warehouse.duckdb", lake_objects.store)
    for name, rows in duplicated.items():
        _, source = lake_objects.upload(name, samples.jsonl(*rows))
        target = lake.resolve(name)
        assert target is not None
        warehouse.load(source, target)

    with warehouse_db.read(warehouse.path) as connection:
        best = connection.execute(
            f"SELECT minute(window_start), trade_count, last_trade_id FROM "
            f"({windows.best_windows_sql()}) ORDER BY 1"
        ).fetchall()
        stored = connection.execute("SELECT count(*) FROM crypto_raw.stream_prices").fetchone()
    assert stored == (2 * 11,)
    assert best == [(minute, COMPLETE, 1000 + COMPLETE) for minute in range(4)]


@pytest.mark.unit
def test_ties_go_to_the_latest_emitted_then_the_highest_pane() -> None:
    connection = duckdb.connect()
    connection.execute(
        "CREATE TABLE panes AS SELECT * FROM (VALUES "
        "('A', 1, 5, TIMESTAMP '2026-01-01 00:01:00', 0, 'older'), "
        "('A', 1, 5, TIMESTAMP '2026-01-01 00:02:00', 0, 'latest'), "
        "('B', 1, 5, TIMESTAMP '2026-01-01 00:02:00', 1, 'lower pane'), "
        "('B', 1, 5, TIMESTAMP '2026-01-01 00:02:00', 2, 'higher pane'), "
        "('B', 1, 4, TIMESTAMP '2026-01-01 00:09:00', 9, 'fewer trades')"
        ") AS t(symbol, window_start, trade_count, emitted_at, pane_index, tag)"
    )
    best = connection.execute(
        f"SELECT symbol, tag FROM ({windows.best_windows_sql('panes')}) ORDER BY 1"
    ).fetchall()
    assert best == [("A", "latest"), ("B", "higher pane")]
