"""``coinpulse deploy``: the ordered commands, their settings, and that a dry run runs none.

The plan is checked against what it deploys: the Terraform it applies (targets and
outputs exist), the Flex Template's parameters, the packaged image contexts. The
executor is driven by a recording runner (commands are never started here): skips,
outputs read once, the streaming job's update, the first failure stopping the rest.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from commands import deploy, main, package
from commands.deploy_steps import Output, Step, StepFailed, execute, render
from tests.terraform.hcl import configuration

pytestmark = pytest.mark.unit

ARGS = ["deploy", "--project", "acme-prod", "--region", "europe-west1", "--tag", "c0ffee1"]
IMAGE = "europe-west1-docker.pkg.dev/acme-prod/coinpulse/{}:c0ffee1"
TEMPLATE = "gs://acme-prod-dataflow/templates/coinpulse-streaming-c0ffee1.json"


def never_run(*args: Any, **kwargs: Any) -> None:
    raise AssertionError(f"a dry run started a command: {args}")


@pytest.fixture
def printed(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> list[str]:
    monkeypatch.setattr(subprocess, "run", never_run)
    monkeypatch.setattr(subprocess, "Popen", never_run)
    assert main.main([*ARGS, "--dry-run"]) == 0
    return capsys.readouterr().out.splitlines()


def test_a_dry_run_prints_every_command_in_order_and_runs_none(printed: list[str]) -> None:
    heads = [" ".join(shlex.split(line.split("  # ")[0])[:4]) for line in printed]
    assert heads == [
        "make package",
        "gcloud storage buckets create",
        "gcloud storage cp terraform/terraform.tfvars",
        "terraform -chdir=terraform init -input=false",
        "terraform -chdir=terraform apply -input=false",
        "gcloud builds submit dist/relay",
        "gcloud builds submit dist/beam",
        "gcloud builds submit dist/transform",
        "gcloud dataflow flex-template build",
        "terraform -chdir=terraform apply -input=false",
        "gcloud dataflow flex-template run",
        "gcloud run jobs execute",
        "GRAFANA_TOKEN=$(gcloud secrets versions access",
    ]
    assert printed[4].count("-target=") == len(deploy.BOOTSTRAP) and "-target" not in printed[9]


def test_the_settings_reach_every_command(printed: list[str]) -> None:
    text = "\n".join(printed)
    assert "gs://acme-prod-tfstate" in printed[1]
    assert "gs://acme-prod-tfstate/coinpulse/terraform.tfvars" in printed[2]
    assert "-backend-config=bucket=acme-prod-tfstate" in printed[3]
    for apply in (printed[4], printed[9]):
        for var in ("project_id=acme-prod", "region=europe-west1", "bucket_prefix=acme-prod"):
            assert f"-var={var}" in apply
        assert "-var=image_tag=c0ffee1" in apply and "-var-file=terraform.tfvars" in apply
    for name, line in zip(deploy.IMAGES, printed[5:8], strict=True):
        assert line.endswith(f"--tag {IMAGE.format(name)}")
    assert TEMPLATE in printed[8] and f"--image={IMAGE.format('beam')}" in printed[8]
    assert f"--template-file-gcs-location={TEMPLATE}" in printed[10]
    assert all("--project=acme-prod" in line for line in printed[1:] if line.startswith("gcloud"))
    assert "us-" not in text


def test_the_streaming_job_is_updated_in_place_when_one_runs(printed: list[str]) -> None:
    run = printed[10]
    assert "# plus --update when gcloud dataflow jobs list" in run
    assert "--filter=name=coinpulse-streaming" in run and "--status=active" in run


def test_what_the_plan_applies_and_reads_exists_in_terraform_and_the_template() -> None:
    settings = deploy.settings_from(main.build_parser(ARGS).parse_args(ARGS))
    root = configuration()["root"]
    assert all(target in root.resources for target in deploy.BOOTSTRAP)
    outputs = (configuration()["root"].folder / "outputs.tf").read_text()
    steps = deploy.plan(settings)
    used = {arg.name for step in steps for arg in _args(step) if isinstance(arg, Output)}
    assert used and all(f'output "{name}"' in outputs for name in used)
    assert {"subscription", "output"} <= deploy.template_parameters()
    run = render(steps[10])
    assert "--parameters=subscription=" in run and ",output=gs://" in run
    packaged = {artifact.name for artifact in package.ARTIFACTS}
    assert {"relay", "beam"} <= packaged  # dist/transform is the transform's own artifact


def _args(step: Step) -> list[Any]:
    flat: list[Any] = []
    for arg in step.argv:
        flat.extend(arg.parts if hasattr(arg, "parts") else [arg])
    return flat


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["deploy", "--project", "p", "--region", "us-central1", "--tag", "t"], "451"),
        (["deploy", "--project", "", "--region", "europe-west1", "--tag", "t"], "required"),
    ],
)
def test_bad_settings_exit_2_with_the_reason(
    argv: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(subprocess, "run", never_run)
    assert main.main([*argv, "--dry-run"]) == 2
    assert message in capsys.readouterr().err


class Recorder:
    """Answers each command by its first words; records what was run and how."""

    def __init__(self, answers: Mapping[str, tuple[int, str]]) -> None:
        self.answers = answers
        self.calls: list[tuple[list[str], Mapping[str, str] | None, bool]] = []

    def __call__(
        self, argv: Sequence[str], *, env: Mapping[str, str] | None, capture: bool
    ) -> subprocess.CompletedProcess[str]:
        self.calls.append((list(argv), env, capture))
        line = " ".join(argv)
        code, out = next((a for key, a in self.answers.items() if line.startswith(key)), (0, ""))
        return subprocess.CompletedProcess(list(argv), code, out, "boom" if code else "")

    def started(self) -> list[str]:
        return [" ".join(argv) for argv, _, capture in self.calls if not capture]


def test_execute_resolves_outputs_once_skips_what_exists_and_updates_a_running_job() -> None:
    settings = deploy.settings_from(main.build_parser(ARGS).parse_args(ARGS))
    recorder = Recorder(
        {
            "gcloud storage buckets describe": (0, ""),
            "terraform -chdir=terraform output -raw dataflow_bucket": (0, "acme-prod-dataflow\n"),
            "terraform -chdir=terraform output -raw lake_bucket": (0, "acme-prod-lake\n"),
            "gcloud dataflow jobs list": (0, "2026-12-01_01_02_03-123\n"),
            "gcloud secrets versions access": (0, "glsa_secret\n"),
        }
    )
    echoed: list[str] = []
    execute(deploy.plan(settings), recorder, echoed.append)
    started = recorder.started()
    assert not any(line.startswith("gcloud storage buckets create") for line in started)
    assert started[0] == "make package" and started[-1] == "coinpulse grafana publish"
    [run] = [line for line in started if line.startswith("gcloud dataflow flex-template run")]
    assert run.endswith("--update") and "output=gs://acme-prod-lake" in run
    assert "--staging-location=gs://acme-prod-dataflow/staging" in run
    reads = [argv for argv, _, capture in recorder.calls if capture and "dataflow_bucket" in argv]
    assert len(reads) == 1
    [(_, env, _)] = [c for c in recorder.calls if c[0][:3] == ["coinpulse", "grafana", "publish"]]
    assert env == {"GRAFANA_TOKEN": "glsa_secret"}
    assert not any("glsa_secret" in line for line in echoed)


def test_execute_stops_at_the_first_failure() -> None:
    settings = deploy.settings_from(main.build_parser(ARGS).parse_args(ARGS))
    recorder = Recorder(
        {"gcloud storage buckets describe": (1, ""), "terraform -chdir=terraform init": (1, "")}
    )
    with pytest.raises(StepFailed, match="init"):
        execute(deploy.plan(settings), recorder, lambda line: None)
    assert recorder.started()[-1].startswith("terraform -chdir=terraform init")
    assert recorder.started()[1].startswith("gcloud storage buckets create gs://acme-prod-tfstate")


def test_make_deploy_passes_project_region_tag_and_dry_run_through() -> None:
    makefile = (deploy.ROOT / "Makefile").read_text()
    recipe = makefile.split("\ndeploy:", 1)[1].split("\n\n", 1)[0]
    assert 'coinpulse deploy --project "$(PROJECT)" --region "$(REGION)"' in recipe
    assert '$(if $(TAG),--tag "$(TAG)")' in recipe and "$(if $(DRY_RUN),--dry-run)" in recipe
