"""The end of the drain: verify's answer decides whether the demo runs repair."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from commands.stack import completion
from commands.stack.config import BINANCE, DEFAULT_PORTS, REPLAY, StackConfig

pytestmark = pytest.mark.unit


def stack(home: Path, exchange: str = REPLAY) -> StackConfig:
    return StackConfig(home, exchange, ("BTCUSDT",), {**DEFAULT_PORTS, "exchange": 19443})


def test_a_complete_warehouse_needs_no_repair(windows_warehouse: Any) -> None:
    path = windows_warehouse(("BTCUSDT", 0, 1, 5, 5), ("BTCUSDT", 1, 6, 8, 3))
    outcome = completion.verify_and_repair(stack(path.parent), threading.Event())
    assert outcome.startswith("not needed")
    assert not (path.parent / "logs" / completion.REPAIR_LOG).exists()


def test_a_gap_is_not_repaired_once_asked_to_stop_at_once(windows_warehouse: Any) -> None:
    path = windows_warehouse(("BTCUSDT", 0, 1, 5, 5), ("BTCUSDT", 1, 9, 10, 2))  # 6..8 missing
    hurry = threading.Event()
    hurry.set()
    outcome = completion.verify_and_repair(stack(path.parent), hurry)
    assert outcome == "skipped (asked to stop at once): 3 missing, 0 counted twice"


def test_without_a_warehouse_nothing_is_checked(tmp_path: Path) -> None:
    outcome = completion.verify_and_repair(stack(tmp_path), threading.Event())
    assert outcome.startswith("not run: verify could not read the warehouse")


def test_repair_reads_the_replay_exchange_s_rest_and_writes_the_stack_s_bucket(
    tmp_path: Path,
) -> None:
    command = completion.repair_command(stack(tmp_path))
    assert command[-7:] == [
        "repair",
        "--warehouse",
        str(tmp_path / "warehouse.duckdb"),
        "--lake",
        "gs://coinpulse-lake",
        "--rest-url",
        "http://127.0.0.1:19443",
    ]
    assert "--rest-url" not in completion.repair_command(stack(tmp_path, BINANCE))
