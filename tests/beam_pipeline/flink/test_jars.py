"""The job server's pins: one Beam version everywhere, every jar checked, a launcher Java reads."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import apache_beam
import pytest
from apache_beam.options.pipeline_options import FlinkRunnerOptions

from beam_pipeline.flink import jars

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[3]
MAVEN = "{http://maven.apache.org/POM/4.0.0}"


def test_the_sdk_and_the_job_server_are_one_beam_release() -> None:
    lock = (REPO / "requirements.lock").read_text()
    assert re.search(r"^apache-beam==(\S+)$", lock, re.M)[1] == jars.BEAM_VERSION  # type: ignore[index]
    assert apache_beam.__version__ == jars.BEAM_VERSION
    pom = ET.parse(jars.POM).getroot()
    beam = [
        dep
        for dep in pom.iter(f"{MAVEN}dependency")
        if dep.findtext(f"{MAVEN}groupId") == "org.apache.beam"
    ]
    assert [dep.findtext(f"{MAVEN}artifactId") for dep in beam] == [
        f"beam-runners-flink-{jars.FLINK_VERSION}"
    ]
    assert beam[0].findtext(f"{MAVEN}version") == jars.BEAM_VERSION
    assert jars.FLINK_VERSION in FlinkRunnerOptions.PUBLISHED_FLINK_VERSIONS


def test_every_pinned_jar_has_a_sha256_and_the_job_server_parts_are_there() -> None:
    pins = jars.pinned()
    assert all(re.fullmatch(r"[0-9a-f]{64}", digest) for digest in pins.values())
    assert all(name.endswith(".jar") for name in pins)
    v = jars.BEAM_VERSION
    for part in (
        f"beam-runners-flink-{jars.FLINK_VERSION}-{v}.jar",  # FlinkJobServerDriver
        f"beam-runners-java-job-service-{v}.jar",  # JobServerDriver
        f"beam-sdks-java-expansion-service-{v}.jar",
        "slf4j-simple-1.7.30.jar",
    ):
        assert part in pins
    assert any(name.startswith("flink-runtime-1.19.") for name in pins)


def _folder_of_jars(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    lib = tmp_path / "lib"
    lib.mkdir()
    pins = {}
    for name, content in (("a-1.jar", b"first"), ("b-2.jar", b"second")):
        (lib / name).write_bytes(content)
        pins[name] = jars.sha256(lib / name)
    return lib, pins


def test_jars_that_match_their_pins_have_no_problems(tmp_path: Path) -> None:
    lib, pins = _folder_of_jars(tmp_path)
    assert pins["a-1.jar"] == "a7937b64b8caa58f03721bb6bacf5c78cb235febe0e70b1b84cd99541461a08e"
    assert jars.problems(lib, pins) == []


def test_a_changed_a_missing_and_an_unknown_jar_are_each_named(tmp_path: Path) -> None:
    lib, pins = _folder_of_jars(tmp_path)
    (lib / "a-1.jar").write_bytes(b"tampered")
    (lib / "b-2.jar").unlink()
    (lib / "c-3.jar").write_bytes(b"extra")
    found = jars.problems(lib, pins)
    assert found[:2] == ["missing b-2.jar", "not pinned c-3.jar"]
    assert found[2].startswith("checksum of a-1.jar is ") and found[2].endswith(pins["a-1.jar"])
    assert jars.problems(tmp_path / "absent", pins) == ["missing a-1.jar", "missing b-2.jar"]


def test_the_launcher_names_the_driver_and_every_jar_in_lines_java_accepts(
    tmp_path: Path,
) -> None:
    names = sorted(jars.pinned())
    launcher = jars.write_launcher(tmp_path, names)
    manifest = zipfile.ZipFile(launcher).read("META-INF/MANIFEST.MF").decode("ascii")
    lines = manifest.split("\r\n")
    assert max(len(line.encode()) for line in lines) <= 72
    unfolded = manifest.replace("\r\n ", "")
    headers = dict(line.split(": ", 1) for line in unfolded.split("\r\n") if line)
    assert headers["Main-Class"] == "org.apache.beam.runners.flink.FlinkJobServerDriver"
    assert headers["Class-Path"].split(" ") == [f"lib/{name}" for name in names]
    assert manifest.endswith("\r\n\r\n")  # the main section ends with an empty line


def test_a_fetch_without_maven_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(jars.FlinkJarsError, match=r"java is not on PATH.*apt-get install"):
        jars.job_server_jar(tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


def test_the_cache_is_per_release_under_the_state_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COINPULSE_HOME", str(tmp_path))
    assert jars.cache_dir() == tmp_path / "flink" / "beam-2.62.0-flink-1.19"
