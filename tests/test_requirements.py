"""Each deployable unit pins what it needs, and its pins agree with the project lock."""

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


UNITS = ("relay", "beam_pipeline", "functions/loader", "functions/coingecko")


def requirement_names(path: Path) -> set[str]:
    lines = (line.split("#")[0].strip() for line in path.read_text().splitlines())
    return {re.sub(r"\[.*\]", "", line).lower() for line in lines if line}


@pytest.mark.parametrize("unit", UNITS)
def test_every_deployable_unit_pins_what_it_names(unit: str) -> None:
    named = requirement_names(ROOT / unit / "requirements.in")
    assert named and named <= set(pins(ROOT / unit / "requirements.txt"))


@pytest.mark.parametrize(
    "requirements", [ROOT / unit / "requirements.txt" for unit in UNITS], ids=UNITS
)
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
