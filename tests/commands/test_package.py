"""``make package``: every artifact is complete, carries only its unit, and the core imports none.

The import rules are read from the sources (every ``import`` and ``from`` statement,
at any depth), so a lazy import inside a function counts as much as a top-level one.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
from pathlib import Path

import pytest

from beam_pipeline import streaming
from commands import package

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
UNITS = ("relay", "beam_pipeline", "functions")
NOT_SHIPPED = ("commands", "standins", "reference", "exchange", "tests")


def imported_tops(folder: Path) -> dict[str, set[str]]:
    """Top-level package of every absolute import under a folder, by file."""
    found: dict[str, set[str]] = {}
    for path in folder.rglob("*.py"):
        tops = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                tops |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                tops.add(node.module.split(".")[0])
        found[str(path.relative_to(folder))] = tops
    return found


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dist")
    package.build_all(root)
    return root


def test_the_core_imports_no_unit() -> None:
    offenders = {
        path: tops & {*UNITS, *NOT_SHIPPED}
        for path, tops in imported_tops(ROOT / "coinpulse").items()
        if tops & {*UNITS, *NOT_SHIPPED}
    }
    assert offenders == {}


@pytest.mark.parametrize("unit", UNITS)
def test_each_unit_imports_only_the_core_and_itself(unit: str) -> None:
    others = {*UNITS, *NOT_SHIPPED} - {unit}
    offenders = {
        path: tops & others for path, tops in imported_tops(ROOT / unit).items() if tops & others
    }
    assert offenders == {}


def test_the_function_families_do_not_import_each_other() -> None:
    for family, other in (("loader", "coingecko"), ("coingecko", "loader")):
        sources = (ROOT / "functions" / family).rglob("*.py")
        assert not [p for p in sources if f"functions.{other}" in p.read_text()], family


def test_no_artifact_carries_another_unit_a_stand_in_or_the_local_stack(dist: Path) -> None:
    for artifact in package.ARTIFACTS:
        # The transform image runs the `coinpulse transform` command itself.
        allowed = {"commands"} if artifact.name == "transform" else set()
        not_shipped = set(NOT_SHIPPED) - allowed
        tops = {path.name for path in (dist / artifact.name).iterdir()}
        assert "coinpulse" in tops and not tops & not_shipped, artifact.name
        shipped = set().union(*imported_tops(dist / artifact.name).values())
        assert not shipped & not_shipped, artifact.name
        assert not list((dist / artifact.name).rglob("__pycache__")), artifact.name


def test_a_rebuild_leaves_nothing_stale(tmp_path: Path) -> None:
    package.build_all(tmp_path)
    stale = tmp_path / "relay" / "relay" / "old_module.py"
    stale.write_text("")
    package.build_all(tmp_path)
    assert not stale.exists()


def test_the_relay_context_builds_a_non_root_image_that_starts_the_relay(dist: Path) -> None:
    context = dist / "relay"
    dockerfile = (context / "Dockerfile").read_text()
    copied = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("COPY")]
    assert copied and all((context / source).exists() for source in copied)
    assert (context / ".dockerignore").is_file()
    user = re.search(r"^USER (\S+)$", dockerfile, re.MULTILINE)
    assert user is not None and user.group(1) not in ("root", "0")
    home = re.search(r"COINPULSE_HOME=(\S+)", dockerfile)
    assert home is not None and f"--home-dir {home.group(1)} {user.group(1)}" in dockerfile
    assert dockerfile.rstrip().endswith('CMD ["python", "-m", "relay"]')
    assert (context / "relay" / "__main__.py").is_file()
    assert "commands" not in (context / "relay" / "__main__.py").read_text()


def test_the_flex_template_declares_the_streaming_jobs_parameters(dist: Path) -> None:
    context = dist / "beam"
    metadata = json.loads((context / "metadata.json").read_text())
    parser = argparse.ArgumentParser()
    streaming.configure(parser)
    by_flag = {flag: action for action in parser._actions for flag in action.option_strings}
    for parameter in metadata["parameters"]:
        action = by_flag["--" + parameter["name"].replace("_", "-")]
        assert parameter["isOptional"] is not action.required, parameter["name"]
    dockerfile = (context / "Dockerfile").read_text()
    assert "FLEX_TEMPLATE_PYTHON_REQUIREMENTS_FILE" not in dockerfile  # nothing staged
    for variable in ("PY_FILE", "SETUP_FILE"):
        found = re.search(rf'FLEX_TEMPLATE_PYTHON_{variable}="\$\{{WORKDIR\}}/(\S+)"', dockerfile)
        assert found is not None and (context / found.group(1)).is_file(), variable


def test_the_workers_install_only_the_core_and_the_pipeline(dist: Path) -> None:
    context = dist / "beam"
    packages = {path.relative_to(context).parts[0] for path in context.rglob("__init__.py")}
    assert packages == {"coinpulse", "beam_pipeline"}
    pinned = (dist / "beam" / "requirements.txt").read_text()
    assert "apache-beam==" in pinned
    assert not re.search(r"^(duckdb|dbt-core|functions-framework)==", pinned, re.MULTILINE)


def test_the_transform_context_runs_coinpulse_transform_on_bigquery(dist: Path) -> None:
    context = dist / "transform"
    dockerfile = (context / "Dockerfile").read_text()
    copied = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("COPY")]
    assert copied and all((context / source).exists() for source in copied)
    user = re.search(r"^USER (\S+)$", dockerfile, re.MULTILINE)
    assert user is not None and user.group(1) not in ("root", "0")
    assert 'ENTRYPOINT ["python", "-m", "commands.main", "transform", "--target", "prod"]' in (
        dockerfile
    )
    assert sorted(p.name for p in (context / "commands").iterdir()) == [
        "main.py",
        "transform.py",
        "warehouse_db.py",
    ]
    assert (context / "dbt" / "dbt_project.yml").is_file()
    assert (context / "dbt" / "seeds" / "coins.csv").is_file()
    requirements = (context / "requirements.txt").read_text()
    assert "dbt-bigquery==" in requirements and "apache-beam" not in requirements
