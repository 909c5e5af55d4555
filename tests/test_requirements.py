"""Each deployable unit's pins agree with the project lock, and its image copies what exists."""

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;]+)")


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        match = PIN.match(line.strip())
        if match:
            name = re.sub(r"\[.*\]", "", match.group(1)).lower().replace("_", "-")
            found[name] = match.group(2)
    return found


UNITS = sorted(p for p in ROOT.glob("*/requirements.txt"))


def test_every_deployable_unit_has_requirements() -> None:
    assert {p.parent.name for p in UNITS} >= {"relay"}


@pytest.mark.parametrize("requirements", UNITS, ids=lambda p: p.parent.name)
def test_unit_pins_match_the_lock(requirements: Path) -> None:
    lock = pins(ROOT / "requirements.lock")
    unit = pins(requirements)
    assert unit, f"{requirements} pins nothing"
    unpinned = [
        line
        for line in requirements.read_text().splitlines()
        if line and not line.startswith("#") and "==" not in line
    ]
    assert unpinned == []
    assert {name: version for name, version in unit.items() if lock.get(name) != version} == {}


def test_relay_image_copies_existing_paths_and_runs_the_relay() -> None:
    dockerfile = (ROOT / "relay/Dockerfile").read_text()
    sources = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("COPY")]
    assert sources and all((ROOT / source).exists() for source in sources)
    assert 'CMD ["python", "-m", "relay"]' in dockerfile
    assert (ROOT / "relay/__main__.py").is_file()
