"""The Flex Template entry point hands the job its flags and Beam the rest."""

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.unit

MAIN = Path(__file__).resolve().parents[3] / "beam_pipeline" / "template" / "main.py"


def template_main() -> ModuleType:
    spec = importlib.util.spec_from_file_location("template_main", MAIN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_parameters_reach_the_job_and_launcher_options_reach_beam() -> None:
    launched = [
        "--subscription=projects/p/subscriptions/trades-pipeline",
        "--output=gs://lake/raw",
        "--flush_seconds=240",
        "--runner=DataflowRunner",
        "--project=p",
        "--region=europe-west1",
        "--temp_location=gs://lake/tmp",
    ]
    argv = template_main().split(launched)
    own, beam = argv[: argv.index("--")], argv[argv.index("--") + 1 :]
    assert own == [
        "--subscription=projects/p/subscriptions/trades-pipeline",
        "--output=gs://lake/raw",
        "--flush-seconds=240",
        "--project=p",
    ]
    assert beam[:4] == [
        "--runner=DataflowRunner",
        "--project=p",
        "--region=europe-west1",
        "--temp_location=gs://lake/tmp",
    ]
    assert beam[4:] == [f"--setup_file={MAIN.with_name('setup.py')}"]


def test_the_runner_defaults_to_dataflow_and_given_options_are_kept() -> None:
    split = template_main().split
    argv = split(["--output=gs://l", "--setup_file=/elsewhere/setup.py"])
    assert argv[argv.index("--") + 1 :] == [
        "--setup_file=/elsewhere/setup.py",
        "--runner=DataflowRunner",
    ]
    argv = split(["--output=gs://l", "--runner=DirectRunner"])
    assert argv[argv.index("--") + 1 :][:2] == [
        "--runner=DirectRunner",
        "--setup_file=" + str(MAIN.with_name("setup.py")),
    ]
