from pathlib import Path

import pytest

from relay.checkpoint import FileCheckpoint, NoCheckpoint, open_checkpoint

pytestmark = pytest.mark.unit


def test_file_checkpoint_round_trips_and_replaces_atomically(tmp_path: Path) -> None:
    store = open_checkpoint(str(tmp_path / "cp" / "relay.json"))
    assert isinstance(store, FileCheckpoint)
    assert store.load() == {}
    store.save({"BTCUSDT": 10, "ETHUSDT": 20})
    store.save({"BTCUSDT": 11, "ETHUSDT": 20})
    assert store.load() == {"BTCUSDT": 11, "ETHUSDT": 20}
    assert sorted(p.name for p in (tmp_path / "cp").iterdir()) == ["relay.json"]


def test_none_disables_the_checkpoint() -> None:
    store = open_checkpoint("none")
    assert isinstance(store, NoCheckpoint)
    store.save({"BTCUSDT": 1})
    assert store.load() == {}
