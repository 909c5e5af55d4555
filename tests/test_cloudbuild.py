"""cloudbuild.yaml runs what the project defines: Makefile targets, the relay's Dockerfile."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]


def build() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "cloudbuild.yaml").read_text())
    return loaded


def test_make_steps_name_existing_targets() -> None:
    targets = set(re.findall(r"^([a-z-]+):", (ROOT / "Makefile").read_text(), re.MULTILINE))
    make_steps = [step for step in build()["steps"] if step.get("entrypoint") == "make"]
    assert make_steps and all(set(step["args"]) <= targets for step in make_steps)


def test_the_image_waits_for_every_check_and_uses_the_relay_dockerfile() -> None:
    steps = {step["id"]: step for step in build()["steps"]}
    image = steps["relay-image"]
    assert set(image["waitFor"]) == set(steps) - {"relay-image"}
    assert "--file=relay/Dockerfile" in image["args"] and (ROOT / "relay/Dockerfile").is_file()
    assert build()["images"] == [
        arg.removeprefix("--tag=") for arg in image["args"] if arg.startswith("--tag=")
    ]


def test_terraform_step_checks_the_terraform_folder() -> None:
    steps = {step["id"]: step for step in build()["steps"]}
    assert steps["terraform-fmt"]["args"][-1] == "terraform" and (ROOT / "terraform").is_dir()
