import subprocess
import sys

import pytest

from coinpulse import cli

pytestmark = pytest.mark.unit


def test_every_command_has_its_own_help(capsys: pytest.CaptureFixture[str]) -> None:
    for name in cli.COMMANDS:
        with pytest.raises(SystemExit) as exit_info:
            cli.main([name, "--help"])
        assert exit_info.value.code == 0
        text = capsys.readouterr().out
        assert text.startswith(f"usage: coinpulse {name}") and "--" in text, name


def test_options_before_the_command_do_not_hide_it(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--log-level", "WARNING", "relay", "--help"])
    assert "--ws-url" in capsys.readouterr().out


def test_the_console_script_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "coinpulse.cli", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "relay" in result.stdout and "exchange" in result.stdout
