"""The drain: the stack waits until every pair's last published trade is in a window."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from commands.stack import drain

pytestmark = pytest.mark.unit


def test_the_relay_checkpoint_gives_the_last_published_ids(tmp_path: Path) -> None:
    saved = tmp_path / "checkpoint.json"
    saved.write_text('{"version": 1, "saved_at": 0, "positions": {"BTCUSDT": 17}}')
    assert drain.published(saved) == {"BTCUSDT": 17}
    assert drain.published(tmp_path / "never-saved.json") == {}


def test_waiting_ends_when_every_pair_is_loaded_up_to_its_last_trade(
    windows_warehouse: Any,
) -> None:
    path = windows_warehouse(("BTCUSDT", 0, 1, 5, 5), ("ETHUSDT", 0, 1, 3, 3))
    said: list[drain.Positions] = []
    left = drain.wait({"BTCUSDT": 5, "ETHUSDT": 3}, path, threading.Event(), said.append)
    assert left == {} and said == []


def test_a_pair_still_behind_is_reported_after_the_timeout_or_a_hurry(
    windows_warehouse: Any, tmp_path: Path
) -> None:
    path = windows_warehouse(("BTCUSDT", 0, 1, 5, 5))
    target = {"BTCUSDT": 9, "ETHUSDT": 2}
    said: list[drain.Positions] = []
    assert drain.wait(target, path, threading.Event(), said.append, timeout=0.1) == target
    assert said == [target]  # told once what it waits for
    hurry = threading.Event()
    hurry.set()
    assert drain.wait({"BTCUSDT": 9}, path, hurry, said.append) == {"BTCUSDT": 9}
    assert drain.wait({"BTCUSDT": 1}, tmp_path / "no-warehouse.duckdb", hurry, said.append) == {
        "BTCUSDT": 1
    }
