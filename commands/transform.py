"""``coinpulse transform``: build the marts with dbt, on DuckDB or BigQuery.

    coinpulse transform                        # dbt build on the local DuckDB warehouse
    coinpulse transform --target prod          # BigQuery, credentials from the environment
    coinpulse transform -- run --select mart_ohlc --full-refresh

Runs dbt on the project in ``dbt/`` with the project's own ``profiles.yml``; the
profile reads its settings from the environment (COINPULSE_HOME for the local
file, BIGQUERY_PROJECT and BIGQUERY_LOCATION for BigQuery, BIGQUERY_API_ENDPOINT
for the emulator). Without DBT ARGS it runs ``dbt build``: seeds, staging views,
incremental marts and every test. ``--since``/``--until`` rebuild the UTC days of
a repaired range on top of the usual lookback.

The local warehouse is one DuckDB file that a single process may open for
writing (commands/warehouse_db.py). dbt-duckdb holds it for its whole run, so an
incremental run is kept to seconds and the others wait: the loader and readers
retry their opens for up to a minute. When dbt itself cannot take the lock
because a loader or reader holds it, the run is retried with backoff for
``LOCK_TIMEOUT_SECONDS`` before it fails; a dbt run that fails for any other
reason is not retried. The BigQuery targets run the dbt of the dbt-bigquery
virtualenv (``make dbt-bigquery``) when it exists, else the dbt installed beside
this Python (the transform image).
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from commands import warehouse_db

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
PROJECT_ENV = "COINPULSE_DBT_PROJECT"
TARGETS = ("local", "prod", "emulator")
BIGQUERY_TARGETS = ("prod", "emulator")
BIGQUERY_VENV = ROOT / ".venv-dbt-bigquery"
# Seeds, views and marts without the tests: the quick refresh the local stack runs.
MODELS_ONLY = ("build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")
LOCK_TIMEOUT_SECONDS = warehouse_db.LOCK_TIMEOUT_SECONDS
FIRST_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 5.0


class TransformFailed(RuntimeError):
    """dbt could not be started (no dbt, no project)."""


def project_dir() -> Path:
    """The dbt project: COINPULSE_DBT_PROJECT, else dbt/ beside this package."""
    return Path(os.environ.get(PROJECT_ENV) or ROOT / "dbt").resolve()


def dbt_executable(target: str) -> Path:
    """The dbt to run for a target. Raises TransformFailed when there is none."""
    beside = Path(sys.executable).parent / "dbt"
    candidates = [BIGQUERY_VENV / "bin" / "dbt", beside] if target in BIGQUERY_TARGETS else [beside]
    for candidate in candidates:
        if candidate.exists():
            return candidate
    raise TransformFailed(f"no dbt found at {', '.join(map(str, candidates))}; run make install")


def environment(target: str, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a dbt run: the project's profiles, the target, and the
    target and log folders under $COINPULSE_HOME (the project folder stays clean)."""
    env = dict(os.environ if base is None else base)
    # Absolute, as dbt runs in the project folder: the same file paths.home() names.
    home = Path(env.get("COINPULSE_HOME", ".coinpulse")).resolve()
    work = home / "dbt" / target
    env.update(
        COINPULSE_HOME=str(home),
        DBT_PROFILES_DIR=str(project_dir()),
        DBT_PROJECT_DIR=str(project_dir()),
        COINPULSE_DBT_TARGET=target,
        DBT_TARGET_PATH=str(work / "target"),
        DBT_LOG_PATH=str(work / "logs"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DBT_VERSION_CHECK="false",
    )
    return env


def dbt_args(target: str, args: Sequence[str], since: str | None, until: str | None) -> list[str]:
    """The dbt command line: DBT ARGS or ``build``, with the target and repair range."""
    command = list(args) or ["build"]
    command += ["--target", target]
    if since or until:
        rebuild = {"rebuild_since": since or until, "rebuild_until": until or ""}
        command += ["--vars", "{" + ", ".join(f"{k}: '{v}'" for k, v in rebuild.items()) + "}"]
    return command


def run(
    target: str = "local",
    args: Sequence[str] = (),
    *,
    since: str | None = None,
    until: str | None = None,
    quiet: bool = True,
    timeout: float = LOCK_TIMEOUT_SECONDS,
    base_env: Mapping[str, str] | None = None,
) -> int:
    """Run dbt once (retrying while the local warehouse is locked); dbt's exit code.

    Quiet: dbt's output is logged only when the run fails. ``base_env`` replaces
    this process's environment. Raises TransformFailed.
    """
    command = [str(dbt_executable(target)), *dbt_args(target, args, since, until)]
    env = environment(target, base_env)
    deadline = time.monotonic() + timeout
    backoff = FIRST_BACKOFF_SECONDS
    while True:
        done = subprocess.run(
            command, env=env, cwd=project_dir(), capture_output=quiet, text=True, check=False
        )
        output = (done.stdout or "") + (done.stderr or "")
        locked = warehouse_db.LOCK_CONFLICT in output
        if done.returncode == 0 or not locked or time.monotonic() >= deadline:
            if done.returncode != 0 and quiet:
                log.error(
                    "dbt %s failed (exit %d):\n%s", " ".join(command[1:]), done.returncode, output
                )
            return done.returncode
        log.info("the warehouse is locked; dbt retries in %.1f s", backoff)
        time.sleep(backoff * random.uniform(0.5, 1.0))
        backoff = min(MAX_BACKOFF_SECONDS, backoff * 2)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.usage = "coinpulse transform [--target local|prod|emulator] [-- DBT ARGS]"
    parser.add_argument(
        "--target",
        choices=TARGETS,
        default="local",
        help="local: DuckDB at $COINPULSE_HOME/warehouse.duckdb (default); prod: BigQuery; "
        "emulator: the BigQuery API emulator at BIGQUERY_API_ENDPOINT",
    )
    parser.add_argument(
        "--since", metavar="TIMESTAMP", help="also rebuild the UTC days from this one (repairs)"
    )
    parser.add_argument(
        "--until", metavar="TIMESTAMP", help="with --since: the last UTC day to rebuild"
    )
    parser.add_argument(
        "--verbose", action="store_true", help="show dbt's output (default: only on failure)"
    )
    parser.add_argument(
        "dbt_args", nargs="*", metavar="DBT ARGS", help="a dbt command instead of build"
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    try:
        return run(
            args.target, args.dbt_args, since=args.since, until=args.until, quiet=not args.verbose
        )
    except TransformFailed as error:
        print(f"coinpulse transform: {error}", file=sys.stderr)
        return 2
