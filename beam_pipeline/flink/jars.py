"""Beam's Flink job server, fetched once from Maven and checked jar by jar.

Beam's FlinkRunner starts a Java job server (``FlinkJobServerDriver``) that
translates the pipeline for Flink and, for ``--flink_master=[local]``, runs it
on an embedded Flink cluster. Maven Central serves no shaded
``beam-runners-flink-<flink>-job-server`` jar for the Beam releases CoinPulse can
use, so the job server runs from its parts: ``job-server.pom.xml`` names the
Flink runner library, Maven resolves its closure, and ``job-server.sha256`` pins
every jar of it. ``job_server_jar()`` returns a small launcher jar whose manifest
names the main class and puts those jars on the classpath, which is what
``--flink_job_server_jar`` takes.

The jars live in the state folder (``$COINPULSE_HOME/flink/``), one folder per
Beam and Flink version. A fetch goes into a fresh folder that is renamed into
place only after every checksum matched, so a failed or interrupted fetch
leaves nothing half-done and the next call starts again. What can fail: Java or
Maven missing (``FlinkJarsError`` says what to install), Maven not reaching its
registry (its own error is logged), a jar whose checksum differs from the pin
(refused, named). Nothing is retried here: Maven retries its own downloads.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
import uuid
import zipfile
from pathlib import Path

from coinpulse import paths

# The Beam release whose Java job server Maven serves whole; apache-beam in
# requirements.lock must be the same version (the SDK and job server speak one
# protocol version; tests/beam_pipeline/flink/test_jars.py checks the lock).
BEAM_VERSION = "2.62.0"
# The Flink version of beam-runners-flink-1.19 in job-server.pom.xml; one of
# Beam 2.62's PUBLISHED_FLINK_VERSIONS (apache_beam/options/pipeline_options.py).
FLINK_VERSION = "1.19"
MAIN_CLASS = "org.apache.beam.runners.flink.FlinkJobServerDriver"
POM = Path(__file__).with_name("job-server.pom.xml")
CHECKSUMS = Path(__file__).with_name("job-server.sha256")
LAUNCHER = "coinpulse-flink-job-server.jar"
LIB = "lib"
MAVEN_TIMEOUT_SECONDS = 900  # about 160 MB on a first fetch

log = logging.getLogger("beam_pipeline.flink")


class FlinkJarsError(RuntimeError):
    """The job server's jars cannot be fetched or do not match their pins."""


def cache_dir() -> Path:
    """This Beam and Flink version's folder in the state folder."""
    return paths.home() / "flink" / f"beam-{BEAM_VERSION}-flink-{FLINK_VERSION}"


def pinned(checksums: Path = CHECKSUMS) -> dict[str, str]:
    """File name -> SHA-256, from a file in ``sha256sum`` format."""
    pins = {}
    for line in checksums.read_text().splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            pins[name.strip()] = digest
    return pins


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def problems(lib: Path, pins: dict[str, str]) -> list[str]:
    """What differs between a folder of jars and the pins; empty when they agree."""
    present = {path.name for path in lib.glob("*.jar")} if lib.is_dir() else set()
    found = [f"missing {name}" for name in sorted(pins.keys() - present)]
    found += [f"not pinned {name}" for name in sorted(present - pins.keys())]
    found += [
        f"checksum of {name} is {actual}, pinned {pins[name]}"
        for name in sorted(present & pins.keys())
        if (actual := sha256(lib / name)) != pins[name]
    ]
    return found


def write_launcher(folder: Path, jar_names: list[str]) -> Path:
    """A jar that only names the main class and the classpath (relative to itself)."""
    launcher = folder / LAUNCHER
    # Manifest lines stop at 72 bytes, so each entry gets a continuation line (one
    # that starts with a space; the second space separates the entries).
    first, *rest = (f"{LIB}/{name}" for name in sorted(jar_names))
    entries = "".join(f"  {entry}\r\n" for entry in rest)
    manifest = (
        f"Manifest-Version: 1.0\r\nMain-Class: {MAIN_CLASS}\r\nClass-Path: {first}\r\n{entries}\r\n"
    )
    with zipfile.ZipFile(launcher, "w") as jar:
        jar.writestr("META-INF/MANIFEST.MF", manifest)
    return launcher


def fetch(folder: Path, pins: dict[str, str]) -> None:
    """Resolve the pom's closure with Maven into ``folder``, checked against the pins."""
    for tool in ("java", "mvn"):
        if shutil.which(tool) is None:
            raise FlinkJarsError(
                f"{tool} is not on PATH: the Flink runner needs a Java 17 runtime and Maven "
                "(Debian: apt-get install openjdk-17-jre-headless maven)"
            )
    staging = folder.with_name(f".{folder.name}.{uuid.uuid4().hex}")
    log.info("fetching Beam's Flink job server with Maven into %s", folder)
    command = [
        "mvn", "-B", "-q", "-C", "-f", str(POM), "dependency:copy-dependencies",
        "-DincludeScope=runtime", f"-DoutputDirectory={staging / LIB}",
    ]  # fmt: skip
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=MAVEN_TIMEOUT_SECONDS, check=False
        )
        if done.returncode != 0:
            log.error("%s", done.stdout[-4000:] + done.stderr[-4000:])
            raise FlinkJarsError(
                f"Maven could not fetch the job server's jars (exit {done.returncode})"
            )
        wrong = problems(staging / LIB, pins)
        if wrong:
            raise FlinkJarsError("fetched jars differ from job-server.sha256: " + "; ".join(wrong))
        write_launcher(staging, sorted(pins))
        folder.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(folder, ignore_errors=True)
        staging.rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def job_server_jar(folder: Path | None = None) -> Path:
    """The launcher jar of the pinned job server, fetching and checking it first if needed."""
    folder = folder or cache_dir()
    pins = pinned()
    if (folder / LAUNCHER).exists() and not problems(folder / LIB, pins):
        return folder / LAUNCHER
    fetch(folder, pins)
    return folder / LAUNCHER


if __name__ == "__main__":  # make flink-jars
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(job_server_jar())
