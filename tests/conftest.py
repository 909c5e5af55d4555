"""Shared fixtures: the real Pub/Sub emulator (gcloud SDK) and GCS emulator on free ports."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from coinpulse import localproc

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def pubsub_emulator_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """host:port of a Pub/Sub emulator started for this test session."""
    log = tmp_path_factory.mktemp("pubsub") / "emulator.log"
    with localproc.pubsub_emulator(log_path=log) as host:
        yield host


@pytest.fixture
def pubsub_env(pubsub_emulator_host: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Points the Google Pub/Sub client at the emulator for one test."""
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", pubsub_emulator_host)
    return pubsub_emulator_host


@pytest.fixture
def storage_emulator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A gcp-storage-emulator for one test, in memory; STORAGE_EMULATOR_HOST points at it."""
    with localproc.gcs_emulator(log_path=tmp_path / "gcs.log") as host:
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", host)
        yield host
