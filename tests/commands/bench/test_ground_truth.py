"""The warehouse's best windows against the exchange's truth: counts and differing windows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from commands.bench import ground_truth
from reference import windows_sql

pytestmark = pytest.mark.unit

MINUTE = 60_000
START = 1_779_105_600_000  # 2026-05-18T12:00Z


def trade(symbol: str, trade_id: int, at_ms: int, price: str) -> dict[str, Any]:
    return {
        "symbol": symbol,
        "trade_id": trade_id,
        "trade_time": at_ms,
        "price": price,
        "quantity": "0.50000000",
        "is_buyer_maker": trade_id % 2 == 0,
    }


# Two pairs, two minutes each, three trades a minute.
RECORDS = [
    trade(symbol, first + minute * 3 + n, START + minute * MINUTE + n * 1000, f"{10 + n}.25")
    for symbol, first in (("BTCUSDT", 100), ("ETHUSDT", 500))
    for minute in range(2)
    for n in range(3)
]
EVERY_ID = {"BTCUSDT": 105, "ETHUSDT": 505}


def test_windows_equal_to_the_truth_show_nothing_missing_or_twice() -> None:
    result = ground_truth.compare(RECORDS, EVERY_ID, windows_sql.windows_from_records(RECORDS))
    assert (result.generated, result.after_stop, result.in_windows) == (12, 0, 12)
    assert (result.missing, result.counted_twice, result.differing) == (0, 0, {})


def test_trades_after_the_relay_s_last_published_id_are_not_expected() -> None:
    published = {"BTCUSDT": 102, "ETHUSDT": 505}  # BTCUSDT's second minute came after
    kept = [r for r in RECORDS if r["symbol"] != "BTCUSDT" or r["trade_id"] <= 102]
    result = ground_truth.compare(RECORDS, published, windows_sql.windows_from_records(kept))
    assert (result.generated, result.after_stop, result.in_windows) == (9, 3, 9)
    assert (result.missing, result.counted_twice, result.differing) == (0, 0, {})


def test_a_trade_no_window_holds_is_missing_and_its_window_differs() -> None:
    without = [r for r in RECORDS if r["trade_id"] != 501]
    result = ground_truth.compare(RECORDS, EVERY_ID, windows_sql.windows_from_records(without))
    assert (result.missing, result.counted_twice, result.in_windows) == (1, 0, 11)
    assert list(result.differing) == [("ETHUSDT", START)]
    assert any(d.startswith("trade_count: 2 != 3") for d in result.differing[("ETHUSDT", START)])
    assert "  ETHUSDT 2026-05-18T12:00Z: " in "\n".join(result.lines())


def test_a_minute_absent_from_the_warehouse_misses_all_its_trades() -> None:
    best = windows_sql.windows_from_records(RECORDS)
    del best[("BTCUSDT", START + MINUTE)]
    result = ground_truth.compare(RECORDS, EVERY_ID, best)
    assert (result.missing, result.counted_twice) == (3, 0)
    absent = ["no window in the warehouse (3 trades)"]
    assert result.differing == {("BTCUSDT", START + MINUTE): absent}


def test_a_trade_also_held_by_the_minute_before_is_counted_twice() -> None:
    moved = {**RECORDS[3], "trade_time": START + 59_000}  # BTCUSDT id 103, into minute 0 too
    best = windows_sql.windows_from_records([*RECORDS, moved])
    result = ground_truth.compare(RECORDS, EVERY_ID, best)
    assert (result.missing, result.counted_twice, result.in_windows) == (0, 1, 13)
    assert list(result.differing) == [("BTCUSDT", START)]


def test_the_inputs_are_read_from_the_truth_file_and_the_relay_checkpoint(tmp_path: Path) -> None:
    truth_file, checkpoint = tmp_path / "truth.jsonl", tmp_path / "checkpoint.json"
    truth_file.write_text("".join(json.dumps(r) + "\n" for r in RECORDS[:2]))
    checkpoint.write_text('{"version": 1, "saved_at": 0, "positions": {"BTCUSDT": 101}}')
    assert ground_truth.truth_records(truth_file) == RECORDS[:2]
    assert ground_truth.published(checkpoint) == {"BTCUSDT": 101}
