"""``--runner flink``: the pipeline options that run a job on Flink.

Beam's FlinkRunner (a PortableRunner) starts the pinned job server from
``jars.job_server_jar()`` for the run and stops it at the end. With the default
``--flink-master [local]`` the job server runs an embedded Flink cluster in its
own JVM, and the Python transforms run in this process (``environment_type``
LOOPBACK, Beam's default for a local master). With ``--flink-master HOST:PORT``
the job goes to that cluster's JobManager (its REST port), whose TaskManagers
need a Python SDK harness: pass ``-- --environment_type=PROCESS`` or
``DOCKER``/``EXTERNAL`` as docs/pipeline.md shows. Beam options after ``--``
come last, so they override these defaults (a second ``--runner`` is refused).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from beam_pipeline import options
from beam_pipeline.flink import jars

LOCAL_MASTER = "[local]"  # Beam's name for an embedded Flink cluster
# The job server's heap: the embedded cluster's JobManager and TaskManager live in
# it; the Python transforms run in the submitting process. 1 GiB carries the bench
# day (1,000,000 trades) on a machine whose memory other jobs share.
JOB_SERVER_HEAP = "-Xmx1g"
RUNNERS = ("fnapi", "flink")
_HOST_PORT = re.compile(r"^[A-Za-z0-9.-]+:\d{1,5}$")


def add_runner_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--runner",
        choices=RUNNERS,
        default="fnapi",
        help="fnapi: in this process (default); flink: on Flink through Beam's FlinkRunner, "
        "its job server fetched with Maven on first use",
    )
    parser.add_argument(
        "--flink-master",
        default=LOCAL_MASTER,
        metavar="HOST:PORT",
        help="with --runner flink: a Flink cluster's JobManager REST address "
        "(default: %(default)s, an embedded cluster)",
    )


def check_master(flink_master: str) -> str:
    if flink_master == LOCAL_MASTER or _HOST_PORT.match(flink_master):
        return flink_master
    raise options.SettingsError(
        f"--flink-master must be HOST:PORT (a JobManager's REST port) or {LOCAL_MASTER}, "
        f"got {flink_master!r}"
    )


def beam_args(
    runner: str,
    flink_master: str,
    passed: Sequence[str],
    job_server_jar: Callable[[], Path] = jars.job_server_jar,
) -> list[str]:
    """The Beam options of a run: for Flink, CoinPulse's defaults, then the user's options.

    Refuses (``SettingsError``) a second runner after ``--``, a malformed master and a
    master without ``--runner flink``; the job server is fetched only once all is valid.
    """
    passed = list(passed[1:] if passed[:1] == ["--"] else passed)
    if runner != "flink":
        if flink_master != LOCAL_MASTER:
            raise options.SettingsError("--flink-master needs --runner flink")
        return passed
    if any(arg == "--runner" or arg.startswith("--runner=") for arg in passed):
        raise options.SettingsError("--runner flink and a Beam --runner after -- name two runners")
    master = check_master(flink_master)
    return [
        "--runner=FlinkRunner",
        f"--flink_version={jars.FLINK_VERSION}",
        f"--flink_master={master}",
        f"--job_server_jvm_properties={JOB_SERVER_HEAP}",
        f"--flink_job_server_jar={job_server_jar()}",
        *passed,
    ]
