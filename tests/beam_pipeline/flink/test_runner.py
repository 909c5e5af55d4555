"""``--runner flink``: the options it gives Beam and the settings it refuses before any fetch."""

from __future__ import annotations

from pathlib import Path

import pytest
from apache_beam.options.pipeline_options import (
    FlinkRunnerOptions,
    JobServerOptions,
    PipelineOptions,
    PortableOptions,
)

from beam_pipeline import backfill, options
from beam_pipeline.flink import runner

pytestmark = pytest.mark.unit

JAR = Path("/cache/coinpulse-flink-job-server.jar")


def no_fetch() -> Path:
    raise AssertionError("a refused setting must not fetch the job server")


def test_fnapi_passes_the_options_after_double_dash_through() -> None:
    passed = ["--", "--runner=DataflowRunner", "--project=p"]
    assert runner.beam_args("fnapi", "[local]", passed, no_fetch) == passed[1:]


def test_flink_defaults_come_first_and_the_users_options_win() -> None:
    args = runner.beam_args(
        "flink", "[local]", ["--", "--flink_version=1.19", "--parallelism=1"], lambda: JAR
    )
    parsed = PipelineOptions(args)
    flink = parsed.view_as(FlinkRunnerOptions)
    assert parsed.get_all_options()["runner"] == "FlinkRunner"
    assert (flink.flink_master, flink.flink_version, flink.parallelism) == ("[local]", "1.19", 1)
    assert flink.flink_job_server_jar == str(JAR)
    assert parsed.view_as(JobServerOptions).job_server_jvm_properties == ["-Xmx1g"]
    # no environment given: Beam's FlinkRunner picks LOOPBACK for [local] itself
    assert parsed.view_as(PortableOptions).environment_type is None


def test_a_cluster_address_is_the_flink_master() -> None:
    args = runner.beam_args("flink", "flink-jobmanager.flink:8081", [], lambda: JAR)
    master = PipelineOptions(args).view_as(FlinkRunnerOptions).flink_master
    assert master == "flink-jobmanager.flink:8081"


@pytest.mark.parametrize(
    ("runner_name", "master", "passed", "message"),
    [
        ("flink", "[local]", ["--", "--runner=DataflowRunner"], "name two runners"),
        ("flink", "[local]", ["--runner", "SparkRunner"], "name two runners"),
        ("flink", "localhost", [], "must be HOST:PORT"),
        ("flink", "http://host:8081/", [], "must be HOST:PORT"),
        ("fnapi", "host:8081", [], "needs --runner flink"),
    ],
)
def test_contradictory_settings_are_refused(
    runner_name: str, master: str, passed: list[str], message: str
) -> None:
    with pytest.raises(options.SettingsError, match=message):
        runner.beam_args(runner_name, master, passed, no_fetch)


def test_the_backfill_command_refuses_them_with_exit_2(tmp_path: Path) -> None:
    archive = tmp_path / "BTCUSDT-trades-2024-03-01.csv"
    archive.write_text("1,61000.1,0.01,0,1709251201000,True,True\n")
    args = ["--input", str(archive), "--output", str(tmp_path / "out"), "--runner", "flink"]
    assert backfill.run([*args, "--flink-master", "no-port"]) == 2
    assert backfill.run([*args, "--", "--runner=DirectRunner"]) == 2
    assert not (tmp_path / "out").exists()
