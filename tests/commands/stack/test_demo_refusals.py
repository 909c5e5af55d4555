"""``coinpulse demo`` refuses clearly, before starting anything: busy ports, missing tools."""

import socket
from pathlib import Path

import pytest

from commands import localproc
from commands import main as coinpulse_cli


@pytest.mark.integration
def test_a_busy_port_is_named_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COINPULSE_HOME", str(tmp_path / "home"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        status = coinpulse_cli.main(
            ["demo", "--gcs-port", str(port), "--loader-port", str(localproc.free_port())]
        )
    assert status == 2
    error = capsys.readouterr().err
    assert f"port {port} (gcs) is already in use" in error and "--gcs-port" in error
    assert not (tmp_path / "home").exists()  # nothing was started


@pytest.mark.unit
def test_missing_java_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COINPULSE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PATH", str(tmp_path))  # no java, no gcloud
    assert coinpulse_cli.main(["demo"]) == 2
    error = capsys.readouterr().err
    assert "Java is required" in error and "install a JRE" in error


@pytest.mark.unit
def test_a_missing_pubsub_emulator_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    java = tmp_path / "bin" / "java"
    java.parent.mkdir()
    java.write_text("#!/bin/sh\n")
    java.chmod(0o755)
    monkeypatch.setenv("PATH", str(java.parent))
    monkeypatch.delenv("PUBSUB_EMULATOR_BIN", raising=False)
    assert coinpulse_cli.main(["demo"]) == 2
    assert "gcloud components install pubsub-emulator" in capsys.readouterr().err


@pytest.mark.unit
def test_an_unknown_exchange_fault_is_refused_with_the_known_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_status:
        coinpulse_cli.main(["demo", "--exchange-faults", "drop,flood"])
    assert exit_status.value.code == 2
    error = capsys.readouterr().err
    assert "unknown fault flood" in error and "rest429" in error
