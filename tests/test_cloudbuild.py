"""cloudbuild.yaml runs what the project defines: Makefile targets and the artifacts of dist/."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from commands import package

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]
CHECKS = {"lint", "unit-tests", "terraform-fmt", "package"}


def build() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "cloudbuild.yaml").read_text())
    return loaded


def steps() -> dict[str, dict[str, Any]]:
    return {step["id"]: step for step in build()["steps"]}


def test_make_steps_name_existing_targets() -> None:
    targets = set(re.findall(r"^([a-z-]+):", (ROOT / "Makefile").read_text(), re.MULTILINE))
    make_steps = [step for step in build()["steps"] if step.get("entrypoint") == "make"]
    assert make_steps and all(set(step["args"]) <= targets for step in make_steps)
    assert {"lint", "test-unit", "package"} <= {arg for s in make_steps for arg in s["args"]}


def test_images_build_from_packaged_contexts_after_every_check() -> None:
    built = {artifact.name for artifact in package.ARTIFACTS}
    images = {name: step for name, step in steps().items() if name.endswith("-image")}
    assert set(images) == {"relay-image", "beam-image"}
    for step in images.values():
        assert set(step["waitFor"]) == CHECKS
        context = step["args"][-1]
        assert context.startswith("dist/") and context.removeprefix("dist/") in built
    tags = [
        arg.removeprefix("--tag=") for s in images.values() for arg in s["args"] if "--tag=" in arg
    ]
    assert sorted(build()["images"]) == sorted(tags)


def test_the_flex_template_spec_uses_the_beam_image_and_its_metadata() -> None:
    template = steps()["beam-template"]
    assert template["waitFor"] == ["beam-image"]
    beam_tag = next(a for a in steps()["beam-image"]["args"] if a.startswith("--tag="))
    assert f"--image={beam_tag.removeprefix('--tag=')}" in template["args"]
    assert "--metadata-file=dist/beam/metadata.json" in template["args"]


def test_terraform_step_checks_the_terraform_folder() -> None:
    assert steps()["terraform-fmt"]["args"][-1] == "terraform" and (ROOT / "terraform").is_dir()
