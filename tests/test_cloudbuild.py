"""cloudbuild.yaml runs what the project defines, in the order the pipeline needs.

Checks in parallel from the start; images only once every check passed; the deploy
steps in order and only in deploy builds; every substitution defined, none holding a
secret; the streaming job launched as `coinpulse deploy` launches it; the triggers in
Terraform naming this file and its substitutions.
"""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from commands import deploy, main, package
from commands.deploy_steps import render
from tests.terraform.hcl import configuration

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]
CHECKS = {
    "lint",
    "unit-tests",
    "integration-tests",
    "flink-tests",
    "dbt-build",
    "terraform-check",
    "terraform",
}
PARALLEL = {"lint", "unit-tests", "integration-tests", "dbt-build", "flink-tests", "package"}
DEPLOY_STEPS = ["apply", "streaming-job", "transform-run", "grafana-token", "grafana-publish"]
BUILT_IN = {"PROJECT_ID", "SHORT_SHA"}


def build() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "cloudbuild.yaml").read_text())
    return loaded


def steps() -> dict[str, dict[str, Any]]:
    return {step["id"]: step for step in build()["steps"]}


def script(step: dict[str, Any]) -> str:
    return " ".join(str(arg) for arg in step["args"])


def ancestors(step_id: str) -> set[str]:
    """Every step this one waits for, directly or not."""
    found: set[str] = set()
    pending = [w for w in steps()[step_id]["waitFor"] if w != "-"]
    while pending:
        current = pending.pop()
        if current not in found:
            found.add(current)
            pending += [w for w in steps()[current]["waitFor"] if w != "-"]
    return found


def test_make_steps_name_existing_targets() -> None:
    targets = set(re.findall(r"^([a-z-]+):", (ROOT / "Makefile").read_text(), re.MULTILINE))
    named = {
        word
        for step in build()["steps"]
        for word in re.findall(r"\bmake (?:-\S+ )*([a-z-]+)", script(step))
    } | {arg for s in build()["steps"] if s.get("entrypoint") == "make" for arg in s["args"]}
    assert {"lint", "test-unit", "test-integration", "test-flink", "package", "tf-check"} <= named
    assert named <= targets


def test_the_checks_start_together_and_terraform_plans_the_packaged_zips() -> None:
    for name in PARALLEL | {"terraform-check", "terraform-vars"}:
        assert steps()[name]["waitFor"] == ["-"], name
    assert set(steps()["terraform"]["waitFor"]) == {"package", "terraform-vars"}
    terraform = script(steps()["terraform"])
    for command in ("fmt -check -recursive", "validate", "plan"):
        assert command in terraform
    assert "-var=image_tag=$SHORT_SHA" in terraform and "-var-file=terraform.tfvars" in terraform


def test_images_build_from_packaged_contexts_after_every_check() -> None:
    built = {artifact.name for artifact in package.ARTIFACTS} | {"transform"}
    images = {name: step for name, step in steps().items() if name.endswith("-image")}
    assert set(images) == {f"{name}-image" for name in deploy.IMAGES}
    for name, step in images.items():
        assert set(step["waitFor"]) == CHECKS
        image = name.removesuffix("-image")
        assert f"dist/{image}" in script(step) and image in built
        tag = f"${{_REGION}}-docker.pkg.dev/$PROJECT_ID/${{_REPOSITORY}}/{image}:$SHORT_SHA"
        assert f"--tag={tag}" in script(step)
        assert f'if [ "${{_DEPLOY}}" = true ]; then docker push {tag}; fi' in script(step)


def test_the_flex_template_spec_uses_the_beam_image_and_its_metadata() -> None:
    template = steps()["beam-template"]
    assert template["waitFor"] == ["beam-image"]
    image = "--image=${_REGION}-docker.pkg.dev/$PROJECT_ID/${_REPOSITORY}/beam:$SHORT_SHA"
    assert image in script(template)
    assert "--metadata-file=dist/beam/metadata.json" in script(template)
    assert script(template).startswith('-c if [ "${_DEPLOY}" != true ]')


def test_the_deploy_runs_in_order_after_the_images_and_only_in_deploy_builds() -> None:
    order = [step["id"] for step in build()["steps"]]
    assert order[-len(DEPLOY_STEPS) :] == DEPLOY_STEPS
    assert {"relay-image", "beam-image", "transform-image", "beam-template"} <= ancestors("apply")
    assert "apply" in ancestors("streaming-job") and "apply" in ancestors("transform-run")
    assert {"transform-run", "grafana-token"} <= ancestors("grafana-publish")
    for name in DEPLOY_STEPS:
        assert script(steps()[name]).startswith('-c if [ "${_DEPLOY}" != true ]'), name
    assert build()["substitutions"]["_DEPLOY"] == "false"
    assert "apply -input=false tfplan" in script(steps()["apply"])
    assert "outputs/transform_job" in script(steps()["transform-run"])
    assert "coinpulse grafana publish" in script(steps()["grafana-publish"])


def test_the_streaming_job_launch_matches_coinpulse_deploy() -> None:
    args = ["deploy", "--project", "p", "--region", "europe-west1", "--tag", "t"]
    settings = deploy.settings_from(main.build_parser(args).parse_args(args))
    [launch] = [
        render(s) for s in deploy.plan(settings) if "flex-template" in s.argv and "run" in s.argv
    ]
    flag = re.compile(r"(--[a-z-]+)")
    ours = set(flag.findall(launch.split("  # ")[0]))
    theirs = set(flag.findall(script(steps()["streaming-job"]).split("flex-template run", 1)[1]))
    assert ours | {"--update"} == theirs
    assert "--update" in launch.split("  # ")[1]


def test_every_substitution_is_defined_and_none_is_a_secret() -> None:
    text = (ROOT / "cloudbuild.yaml").read_text()
    used = set(re.findall(r"(?<!\$)\$\{(_[A-Z_]+)\}", text)) | set(
        re.findall(r"(?<!\$)\$(_[A-Z_]+)", text)
    )
    assert used <= set(build()["substitutions"])
    plain = set(re.findall(r"(?<!\$)\$([A-Z_]+)\b", text)) - used
    assert plain <= BUILT_IN
    for name, value in build()["substitutions"].items():
        assert not re.search(r"(?i)token|key|password|secret", f"{name}={value}")
    assert "availableSecrets" not in build()
    readers = [s["id"] for s in build()["steps"] if "gcloud secrets" in script(s)]
    assert readers == ["grafana-token"]  # a deploy step: pull-request builds read no secret
    assert "rm -f .grafana-token" in script(steps()["grafana-publish"])


def test_the_terraform_triggers_run_this_file_with_its_substitutions() -> None:
    triggers = configuration()["root"].of_type("google_cloudbuild_trigger")
    assert set(triggers) == {"checks", "deploy"}
    defined = set(build()["substitutions"])
    for name, trigger in triggers.items():
        assert trigger["filename"] == "cloudbuild.yaml"
        assert set(trigger["substitutions"]) <= defined
        assert trigger["substitutions"]["_DEPLOY"] == ("true" if name == "deploy" else "false")
    assert triggers["deploy"]["service_account"] == "${google_service_account.deployer.id}"
    assert triggers["checks"]["service_account"] == "${google_service_account.checks.id}"


def test_the_deploy_steps_read_terraform_outputs_that_the_apply_wrote() -> None:
    apply = script(steps()["apply"])
    written = set(re.search(r"for name in ([a-z_ ]+);", apply)[1].split())  # type: ignore[index]
    read = {
        name
        for step in DEPLOY_STEPS[1:]
        for name in re.findall(r"outputs/([a-z_]+)", script(steps()[step]))
    }
    assert read and read <= written
    outputs = (ROOT / "terraform" / "outputs.tf").read_text()
    assert all(f'output "{name}"' in outputs for name in written)
