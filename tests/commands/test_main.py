import subprocess
import sys

import pytest

from commands import main as coinpulse_cli


@pytest.mark.unit
def test_every_command_has_its_own_help(capsys: pytest.CaptureFixture[str]) -> None:
    for name in coinpulse_cli.COMMANDS:
        with pytest.raises(SystemExit) as exit_info:
            coinpulse_cli.main([name, "--help"])
        assert exit_info.value.code == 0
        text = capsys.readouterr().out
        assert text.startswith(f"usage: coinpulse {name}") and "--" in text, name


@pytest.mark.unit
def test_options_before_the_command_do_not_hide_it(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        coinpulse_cli.main(["--log-level", "WARNING", "relay", "--help"])
    assert "--ws-url" in capsys.readouterr().out


@pytest.mark.integration
def test_the_console_script_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "commands.main", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "relay" in result.stdout and "exchange" in result.stdout
