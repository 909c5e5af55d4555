from pathlib import Path

import pytest
from google.cloud import storage

from relay.checkpoint import FileCheckpoint, GcsCheckpoint, NoCheckpoint, open_checkpoint


@pytest.mark.unit
def test_file_checkpoint_round_trips_and_replaces_atomically(tmp_path: Path) -> None:
    store = open_checkpoint(str(tmp_path / "cp" / "relay.json"))
    assert isinstance(store, FileCheckpoint)
    assert store.load() == {}
    store.save({"BTCUSDT": 10, "ETHUSDT": 20})
    store.save({"BTCUSDT": 11, "ETHUSDT": 20})
    assert store.load() == {"BTCUSDT": 11, "ETHUSDT": 20}
    assert sorted(p.name for p in (tmp_path / "cp").iterdir()) == ["relay.json"]


@pytest.mark.unit
def test_none_disables_the_checkpoint() -> None:
    store = open_checkpoint("none")
    assert isinstance(store, NoCheckpoint)
    store.save({"BTCUSDT": 1})
    assert store.load() == {}


@pytest.mark.integration
def test_gcs_checkpoint_round_trips_on_the_emulator(storage_emulator: str) -> None:
    storage.Client().create_bucket("relay-state")
    store = open_checkpoint("gs://relay-state/relay/checkpoint.json")
    assert isinstance(store, GcsCheckpoint)
    assert store.load() == {}
    store.save({"BTCUSDT": 41})
    store.save({"BTCUSDT": 42, "ADAUSDT": 7})
    assert open_checkpoint("gs://relay-state/relay/checkpoint.json").load() == {
        "BTCUSDT": 42,
        "ADAUSDT": 7,
    }
