"""The BigQuery API emulator (bqemulator) as a child process, for the BigQuery code paths.

It runs in a virtualenv of its own (``make bq-emulator`` builds ``.venv-bqemu``), since it
pins DuckDB 1.5.5 and the project runs DuckDB 2.0; ``tools/bqemulator/launch.py`` starts
it offline. Clients reach it through ``api_endpoint``
(``coinpulse.bigquery_client.connect``); it keeps everything in memory, so each start
is empty.

Where it differs from BigQuery (measured): job ids are not unique (no 409),
``get_job`` of a load job answers 404, and BIGNUMERIC is stored with 38 digits.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from commands import localproc

ROOT = Path(__file__).resolve().parents[1]
LAUNCHER = ROOT / "tools" / "bqemulator" / "launch.py"
VENV = ROOT / ".venv-bqemu"

# bqemulator's start-up (DuckDB, the spatial extension, gRPC servers) took about 10 s here.
START_TIMEOUT_SECONDS = 90.0


def emulator_python() -> Path:
    """The emulator virtualenv's interpreter ($BQEMULATOR_PYTHON overrides). Raises
    MissingPrerequisite when it is not built."""
    python = Path(os.environ.get("BQEMULATOR_PYTHON", VENV / "bin" / "python"))
    if not python.is_file():
        raise localproc.MissingPrerequisite(
            f"the BigQuery emulator is not installed ({python}): run 'make bq-emulator'"
        )
    return python


@contextmanager
def bigquery_emulator(project: str, log_path: Path | None = None) -> Iterator[str]:
    """Run bqemulator for ``project``; yields its REST endpoint (http://127.0.0.1:PORT)."""
    python = emulator_python()
    rest, grpc = localproc.free_port(), localproc.free_port()
    home = python.parent.parent / "home"
    home.mkdir(exist_ok=True)
    args = [str(python), str(LAUNCHER), "start", "--project", project]
    args += ["--rest-port", str(rest), "--grpc-port", str(grpc), "--log-level", "warning"]
    process = localproc.spawn(args, log_path, env={"HOME": str(home)})
    endpoint = f"http://127.0.0.1:{rest}"
    try:
        localproc.wait_until(
            f"{endpoint}/bigquery/v2/projects/{project}/datasets", process, START_TIMEOUT_SECONDS
        )
        yield endpoint
    finally:
        localproc.stop(process)
