"""``coinpulse package``: every deployable artifact under dist/, each complete on its own.

Each artifact is a directory that its deploy command takes as it is, holding the
core package (``coinpulse/``), the unit's own code and its pinned requirements,
and nothing of the other units, the stand-ins or the local stack:

- ``dist/functions/loader/`` and ``dist/functions/coingecko/``: Cloud Run functions
  sources, ``main.py`` at the root (``gcloud functions deploy --source ...``);
- ``dist/relay/``: the relay's Docker build context (``docker build dist/relay``,
  ``gcloud run deploy --source dist/relay``);
- ``dist/beam/``: the Dataflow Flex Template's build context (``gcloud dataflow
  flex-template build ...``);
- ``dist/transform/``: the dbt transform job's Docker build context (image
  ``transform``): the dbt project, ``coinpulse transform`` and its requirements.

A rebuild replaces each artifact directory whole, so nothing stale survives.
"""

from __future__ import annotations

import argparse
import shutil
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE = "coinpulse"
# Never copied: bytecode and tool caches, and the unit files that go to the root.
IGNORED = ("__pycache__", "*.pyc", ".mypy_cache", ".pytest_cache", "requirements.in")


@dataclass(frozen=True)
class Artifact:
    """One deployable directory: packages copied whole, files placed at given paths."""

    name: str  # the directory under dist/
    packages: tuple[str, ...]  # repository folders copied to the same path
    files: dict[str, str] = field(default_factory=dict)  # artifact path -> repository path
    leave_out: tuple[str, ...] = ()  # names inside the packages that are not shipped

    def build(self, dist: Path) -> Path:
        """(Re)build the artifact under ``dist``; returns its directory."""
        target = dist / self.name
        shutil.rmtree(target, ignore_errors=True)
        ignore = shutil.ignore_patterns(*IGNORED, *self.leave_out, *self._placed())
        for package in (CORE, *self.packages):
            shutil.copytree(ROOT / package, target / package, ignore=ignore)
        for placed, source in self.files.items():
            (target / placed).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / source, target / placed)
        return target

    def _placed(self) -> list[str]:
        """File names that ``files`` moves to the artifact's root, left out of the copies."""
        return [Path(source).name for placed, source in self.files.items() if "/" not in placed]


def function(family: str) -> Artifact:
    """A Cloud Run functions source directory for ``functions/<family>/``."""
    return Artifact(
        name=f"functions/{family}",
        packages=(f"functions/{family}",),
        files={
            "main.py": f"functions/{family}/main.py",
            "requirements.txt": f"functions/{family}/requirements.txt",
            "functions/__init__.py": "functions/__init__.py",
        },
    )


ARTIFACTS: tuple[Artifact, ...] = (
    function("loader"),
    function("coingecko"),
    Artifact(
        name="relay",
        packages=("relay",),
        files={
            "Dockerfile": "relay/Dockerfile",
            ".dockerignore": "relay/.dockerignore",
            "requirements.txt": "relay/requirements.txt",
        },
    ),
    Artifact(
        name="beam",
        packages=("beam_pipeline",),
        files={
            "Dockerfile": "beam_pipeline/template/Dockerfile",
            "metadata.json": "beam_pipeline/template/metadata.json",
            "main.py": "beam_pipeline/template/main.py",
            "setup.py": "beam_pipeline/template/setup.py",
            "requirements.txt": "beam_pipeline/requirements.txt",
        },
        leave_out=("template",),
    ),
    Artifact(
        name="transform",
        packages=("dbt",),
        files={
            "Dockerfile": "dbt/image/Dockerfile",
            ".dockerignore": "dbt/image/.dockerignore",
            "requirements.txt": "tools/dbt_bigquery/requirements.txt",
            "commands/main.py": "commands/main.py",
            "commands/transform.py": "commands/transform.py",
            "commands/warehouse_db.py": "commands/warehouse_db.py",
        },
        leave_out=("image", "target", "logs", "lint_macros", ".sqlfluff", ".sqlfluffignore"),
    ),
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = __doc__.split("\n\n", 1)[1]
    parser.add_argument(
        "--dist", type=Path, default=ROOT / "dist", help="output folder (default: %(default)s)"
    )
    parser.set_defaults(handler=handle)


def build_all(dist: Path) -> list[Path]:
    """Build every artifact; returns their directories."""
    return [artifact.build(dist) for artifact in ARTIFACTS]


def handle(args: argparse.Namespace) -> int:
    for built in build_all(args.dist):
        files = [path for path in built.rglob("*") if path.is_file()]
        size = sum(path.stat().st_size for path in files)
        print(f"{built}: {len(files)} files, {size / 1024:.0f} KiB")
    return 0
