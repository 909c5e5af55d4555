"""Starting the relay: where its checkpoint may live, and what it says about it."""

import argparse
import logging
from pathlib import Path

import pytest

from relay import main
from relay.checkpoint import NoCheckpoint
from relay.service import Relay


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    main.configure(parser)
    return parser.parse_args(["--symbols", "BTCUSDT", "--sink", "null", *argv])


@pytest.mark.unit
@pytest.mark.parametrize("checkpoint", [[], ["--checkpoint", "none"], ["--checkpoint", "/x.json"]])
def test_on_cloud_run_only_a_gs_checkpoint_is_accepted(
    checkpoint: list[str], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("K_SERVICE", "coinpulse-relay")
    args = parse(*checkpoint)
    with pytest.raises(ValueError, match="gs://"):
        main.build(args)
    assert main.run(args) == 2
    assert any(r.levelno == logging.ERROR and "gs://" in r.getMessage() for r in caplog.records)


@pytest.mark.unit
def test_starting_without_a_checkpoint_is_logged_as_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("K_SERVICE", raising=False)
    relay = main.build(parse("--checkpoint", "none"))
    assert isinstance(relay.checkpoint, NoCheckpoint)
    [warning] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "no checkpoint" in warning.getMessage()
    assert warning.fields == {"checkpoint": "none"}  # type: ignore[attr-defined]


@pytest.mark.unit
def test_a_checkpoint_that_was_never_saved_is_logged_at_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("K_SERVICE", raising=False)
    location = tmp_path / "checkpoint.json"
    relay = main.build(parse("--checkpoint", str(location)))
    relay.resume()
    [warning] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "nothing saved" in warning.getMessage()
    assert warning.fields == {"checkpoint": str(location)}  # type: ignore[attr-defined]


@pytest.mark.integration
def test_the_process_exits_non_zero_when_a_task_cannot_continue(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken_flush_loop(self: Relay) -> None:
        raise RuntimeError("flush loop broken")

    monkeypatch.setattr(Relay, "_flush_loop", broken_flush_loop)
    closed = ["--ws-url", "ws://127.0.0.1:9", "--rest-url", "http://127.0.0.1:9"]
    args = parse("--checkpoint", "none", "--port", "0", "--duration", "60", *closed)
    assert main.run(args) == 1
