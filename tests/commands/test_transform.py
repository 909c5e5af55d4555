"""coinpulse transform: the dbt command line and environment it builds."""

from pathlib import Path

import pytest

from commands import main, transform

pytestmark = pytest.mark.unit


def test_build_is_the_default_command_and_the_target_is_passed() -> None:
    assert transform.dbt_args("local", [], None, None) == ["build", "--target", "local"]
    assert transform.dbt_args("prod", ["run", "-s", "mart_ohlc"], None, None) == [
        "run",
        "-s",
        "mart_ohlc",
        "--target",
        "prod",
    ]


def test_a_repair_range_becomes_the_rebuild_vars() -> None:
    args = transform.dbt_args("local", [], "2026-05-16T10:00:00+00:00", "2026-05-17")
    assert args[-2:] == [
        "--vars",
        "{rebuild_since: '2026-05-16T10:00:00+00:00', rebuild_until: '2026-05-17'}",
    ]


def test_the_environment_points_dbt_at_the_projects_profiles(tmp_path: Path) -> None:
    env = transform.environment("emulator", {"COINPULSE_HOME": str(tmp_path), "KEEP": "1"})
    assert env["DBT_PROFILES_DIR"] == str(transform.project_dir())
    assert (Path(env["DBT_PROFILES_DIR"]) / "profiles.yml").is_file()
    assert env["COINPULSE_DBT_TARGET"] == "emulator"
    assert env["DBT_TARGET_PATH"] == str(tmp_path / "dbt" / "emulator" / "target")
    assert env["KEEP"] == "1"
    relative = transform.environment("local", {"COINPULSE_HOME": "state"})
    assert relative["COINPULSE_HOME"] == str(Path("state").resolve())


def test_the_cli_offers_the_three_targets(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main.main(["transform", "--target", "staging"])
    assert "local" in capsys.readouterr().err
