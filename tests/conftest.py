"""Shared fixtures: the real Pub/Sub and GCS emulators on free ports.

The lake samples (fixtures_lake.py), the CoinGecko fixtures (fixtures_coingecko.py),
the recorded pairs (fixtures_symbols.py), the BigQuery emulator (fixtures_bigquery.py),
the local dashboard's marts (fixtures_marts.py), the marts on the emulator for the
Grafana panels' SQL (fixtures_panel_marts.py) and the dbt warehouse fixtures
(fixtures_dbt.py) are plugins beside this file, shared by the tests of every unit that
needs them.
"""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from commands import localproc

pytest_plugins = [
    "fixtures_lake",
    "fixtures_coingecko",
    "fixtures_symbols",
    "fixtures_bigquery",
    "fixtures_marts",
    "fixtures_panel_marts",
    "fixtures_dbt",
]


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
    """fake-gcs-server for one test, in memory; STORAGE_EMULATOR_HOST points at it."""
    with localproc.gcs_emulator(log_path=tmp_path / "gcs.log") as host:
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", host)
        yield host


LAYERS = ("unit", "integration", "e2e")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test belongs to exactly one layer, so that each layer runs alone."""
    for item in items:
        layers = {mark.name for mark in item.iter_markers() if mark.name in LAYERS}
        if len(layers) != 1:
            raise pytest.UsageError(f"{item.nodeid}: mark it with one of {LAYERS}, not {layers}")


class NotAUnitTest(AssertionError):
    """A test marked ``unit`` started a process or a server: mark it ``integration``."""


@pytest.fixture(autouse=True)
def _unit_tests_stay_in_process(request: pytest.FixtureRequest) -> Iterator[None]:
    """``unit`` means in-process: no child process and no listening socket, enforced here."""
    if request.node.get_closest_marker("unit") is None:
        yield
        return

    def refuse(*args: object, **kwargs: object) -> None:
        raise NotAUnitTest(f"{request.node.nodeid} is marked unit but starts a process or server")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(subprocess.Popen, "__init__", refuse)
        patch.setattr(socket.socket, "listen", refuse)
        yield
