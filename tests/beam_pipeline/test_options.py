"""Runner defaults and the pass-through of Beam pipeline options."""

from __future__ import annotations

import pytest
from apache_beam.options.pipeline_options import StandardOptions

from beam_pipeline import options

pytestmark = pytest.mark.unit


def test_local_defaults_skip_the_prism_download() -> None:
    streaming = options.pipeline_options(
        [], default_runner="BundleBasedDirectRunner", streaming=True
    )
    assert options.runner_name(streaming) == "BundleBasedDirectRunner"
    assert streaming.view_as(StandardOptions).streaming is True
    batch = options.pipeline_options([], default_runner="FnApiRunner", streaming=False)
    assert options.runner_name(batch) == "FnApiRunner"
    assert not batch.view_as(StandardOptions).streaming


def test_options_after_double_dash_pass_through() -> None:
    passed = options.pipeline_options(
        ["--", "--runner=apache_beam.runners.portability.flink_runner.FlinkRunner", "--x=1"],
        default_runner="FnApiRunner",
        streaming=False,
    )
    assert options.runner_name(passed) == "FlinkRunner"
    assert passed.get_all_options(retain_unknown_options=True)["x"] == "1"


def test_negative_settings_are_refused() -> None:
    assert options.non_negative(0, "--early-firing") == 0
    with pytest.raises(options.SettingsError, match="--early-firing must be 0 or more"):
        options.non_negative(-1, "--early-firing")
