"""Completeness from trade ids on hand-made window sets, in an in-memory DuckDB."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import duckdb
import pytest

from coinpulse import completeness, lake, schemas
from functions.loader import objects

pytestmark = pytest.mark.unit

T = "2026-05-18T12:{:02d}:00.000Z"


def window(
    samples: Any, symbol: str, minute: int, ids: tuple[int, int, int], **extra: Any
) -> dict[str, Any]:
    """A window row of a minute whose ids are (first, last, count)."""
    first, last, count = ids
    row = samples.window_row(symbol=symbol, minute=minute)
    row.update(first_trade_id=first, last_trade_id=last, trade_count=count, **extra)
    return dict(row)


def check(samples: Any, rows: list[dict[str, Any]], **scope: Any) -> list[Any]:
    connection = duckdb.connect()
    connection.execute("CREATE SCHEMA crypto_raw")
    connection.execute(
        f"CREATE TABLE crypto_raw.stream_prices ({schemas.duckdb_columns('stream_prices')})"
    )
    table = objects.read_table(samples.jsonl(*rows), lake.Target(lake.STREAM_PRICES))
    connection.register("loaded", table)
    connection.execute("INSERT INTO crypto_raw.stream_prices SELECT * FROM loaded")
    where = completeness.Scope(**scope)
    totals = connection.execute(completeness.totals_sql(where)).fetchall()
    ranges = connection.execute(completeness.ranges_sql(where)).fetchall()
    return completeness.results(totals, ranges)


def minute(m: int) -> datetime:
    return datetime(2026, 5, 18, 12, m, tzinfo=UTC)


def test_consecutive_ids_with_silent_minutes_between_are_complete(samples: Any) -> None:
    rows = [
        window(samples, "BTCUSDT", 0, (1000, 1009, 10)),
        window(samples, "BTCUSDT", 3, (1010, 1011, 2)),  # minutes 1 and 2 had no trades
        window(samples, "ETHUSDT", 0, (50, 50, 1)),
    ]
    [btc, eth] = check(samples, rows)
    assert (btc.symbol, btc.windows, btc.trades, btc.ranges) == ("BTCUSDT", 2, 12, ())
    assert (eth.symbol, eth.windows, eth.trades, eth.complete) == ("ETHUSDT", 1, 1, True)


def test_a_hole_inside_a_window_and_one_between_windows_are_ranges(samples: Any) -> None:
    rows = [
        window(samples, "BTCUSDT", 0, (1000, 1009, 8)),  # two ids of minute 0 missing
        window(samples, "BTCUSDT", 1, (1015, 1016, 2)),  # 1010..1014 missing in between
    ]
    [btc] = check(samples, rows)
    assert btc.missing == 7 and btc.counted_twice == 0 and not btc.complete
    assert [(r.kind, r.low_id, r.high_id, r.trades) for r in btc.ranges] == [
        ("within", 1000, 1009, 2),
        ("between", 1010, 1014, 5),
    ]
    between = btc.ranges[1]
    assert (between.first_minute, between.last_minute) == (minute(0), minute(1))


def test_a_trade_in_two_windows_is_counted_twice(samples: Any) -> None:
    rows = [
        window(samples, "BTCUSDT", 0, (1000, 1009, 10)),
        window(samples, "BTCUSDT", 1, (1008, 1012, 5)),
    ]
    [btc] = check(samples, rows)
    assert [(r.kind, r.low_id, r.high_id, r.trades) for r in btc.ranges] == [
        ("overlap", 1008, 1009, 2)
    ]
    assert btc.counted_twice == 2 and btc.missing == 0
    assert completeness.gaps([btc, btc]) == (0, 4)


def test_only_the_best_row_of_a_window_counts(samples: Any) -> None:
    """Partial panes and a restarted job's pane 0 lose against the complete row."""
    rows = [
        window(samples, "BTCUSDT", 0, (1000, 1003, 4), pane_index=3, emitted_at=T.format(1)),
        window(samples, "BTCUSDT", 0, (1000, 1009, 10), pane_index=0, emitted_at=T.format(3)),
        window(samples, "BTCUSDT", 0, (1000, 1001, 2), pane_index=1, emitted_at=T.format(4)),
        window(samples, "BTCUSDT", 1, (1010, 1010, 1)),
    ]
    [btc] = check(samples, rows)
    assert (btc.windows, btc.trades, btc.ranges) == (2, 11, ())


def test_the_scope_limits_pairs_and_minutes(samples: Any) -> None:
    rows = [
        window(samples, "BTCUSDT", 0, (1000, 1009, 9)),
        window(samples, "BTCUSDT", 5, (2000, 2001, 2)),
        window(samples, "ETHUSDT", 5, (1, 1, 1)),
    ]
    [btc] = check(samples, rows, pairs=("btcusdt",), since=minute(1), until=minute(6))
    assert (btc.windows, btc.trades, btc.ranges) == (1, 2, ())


def test_a_scope_needs_time_zones_and_known_pairs() -> None:
    with pytest.raises(ValueError, match="time zone"):
        completeness.Scope(since=datetime(2026, 5, 18)).where()
    with pytest.raises(ValueError, match="unknown pair"):
        completeness.Scope(pairs=("NOPE'; drop table x; --",)).where()
