"""``coinpulse pipeline`` settings: names, refusals and runner checks (no process started)."""

from __future__ import annotations

import argparse

import pytest

from beam_pipeline import streaming

pytestmark = pytest.mark.unit

BASE = ["--subscription", "beam", "--output", "out"]


def test_short_names_get_the_project() -> None:
    assert streaming.resource_path("p", "topics", "t") == "projects/p/topics/t"
    full = "projects/other/subscriptions/s"
    assert streaming.resource_path("p", "subscriptions", full) == full


def test_defaults_are_the_documented_ones() -> None:
    parser = argparse.ArgumentParser()
    streaming.configure(parser)
    settings = streaming.settings_from(parser.parse_args([*BASE, "--project", "demo"]))
    assert settings == streaming.Settings(
        subscription="projects/demo/subscriptions/beam",
        topic=None,
        output="out",
        allowed_lateness_seconds=300,
        early_firing_seconds=20,
        flush_seconds=120,
    )


@pytest.mark.parametrize(
    "extra",
    [
        ["--flush-seconds", "60"],  # 1,440 objects a day: over the load-job budget
        ["--allowed-lateness", "-1"],
        ["--output", "s3://bucket/prefix"],
        ["--", "--runner=FlinkRunner"],  # Python's ReadFromPubSub cannot run there
        ["--", "--runner=PortableRunner", "--job_endpoint=localhost:8099"],
    ],
)
def test_refused_settings_exit_2_before_touching_pub_sub(
    extra: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    assert streaming.run([*BASE, *extra]) == 2
    assert caplog.records[-1].levelname == "ERROR"
