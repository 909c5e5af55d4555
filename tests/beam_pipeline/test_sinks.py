# mypy: disable-error-code="no-untyped-call"
# (Apache Beam's API carries no type annotations.)
"""Create-only objects, deterministic names and the load-job budget."""

from __future__ import annotations

from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing import test_stream
from apache_beam.transforms.window import IntervalWindow
from apache_beam.utils.windowed_value import PaneInfo, PaneInfoTiming

from beam_pipeline import rows, sinks

pytestmark = pytest.mark.unit

PERIOD_START_MS = 1_767_225_600_000 + 120_000 + sinks.FLUSH_OFFSET_SECONDS * 1000


def test_the_default_flush_stays_within_half_of_bigquerys_load_jobs() -> None:
    assert sinks.SECONDS_PER_DAY // sinks.DEFAULT_FLUSH_SECONDS == 720
    assert sinks.OBJECT_BUDGET_PER_DAY == 750
    assert sinks.check_flush_seconds(116) == 116  # ceil(86400 / 116) = 745
    with pytest.raises(sinks.OutputError, match="writes 752 objects a day"):
        sinks.check_flush_seconds(115)
    with pytest.raises(sinks.OutputError, match="use at least 116 s"):
        sinks.check_flush_seconds(60)
    with pytest.raises(sinks.OutputError):
        sinks.check_flush_seconds(0)


def test_prefixes() -> None:
    assert sinks.check_prefix("gs://bucket/coinpulse/") == "gs://bucket/coinpulse"
    assert sinks.check_prefix("out/local/") == "out/local"
    for refused in ("s3://bucket/x", "gs://", "gs:///"):
        with pytest.raises(sinks.OutputError):
            sinks.check_prefix(refused)


def test_create_only_never_overwrites_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = str(tmp_path / "a/b/object.jsonl")
    assert sinks.create_only(path, b"first\n") is True
    assert sinks.create_only(path, b"first\n") is False  # a retry: no-op
    assert sinks.create_only(path, b"other\n") is False
    assert Path(path).read_bytes() == b"first\n"
    assert [p.name for p in (tmp_path / "a/b").iterdir()] == ["object.jsonl"]


def test_equal_rows_give_equal_bytes_and_digest_in_any_order() -> None:
    batch: list[rows.Row] = [{"a": 1}, {"a": 2}, {"b": "x"}]
    assert sinks.encode(batch) == sinks.encode(batch[::-1])
    data, digest = sinks.encode(batch)
    assert data.count(b"\n") == 3
    assert len(digest) == 16


def test_streaming_rows_of_one_flush_period_make_one_named_object(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rows, "now_ms", lambda: PERIOD_START_MS + 30_000)
    stream = (
        test_stream.TestStream().add_elements([{"n": 1}, {"n": 2}]).advance_watermark_to_infinity()
    )
    options = PipelineOptions(["--runner=BundleBasedDirectRunner", "--streaming"])
    with beam.Pipeline(options=options) as pipeline:
        _ = pipeline | stream | sinks.WriteStreamingObjects(str(tmp_path), "stream_prices", 120)
    written = [p.relative_to(tmp_path) for p in tmp_path.rglob("*.jsonl")]
    assert len(written) == 1
    assert written[0].parent == Path("stream_prices/dt=2026-01-01/hh=00")
    assert written[0].name.startswith("stream_prices-20260101T000210Z-p0-")
    assert (tmp_path / written[0]).read_text() == '{"n":1}\n{"n":2}\n'


def test_a_pane_without_rows_writes_no_object(tmp_path: Path) -> None:
    period = IntervalWindow(PERIOD_START_MS / 1000, PERIOD_START_MS / 1000 + 120)
    late = PaneInfo(False, False, PaneInfoTiming.LATE, 1, 0)
    write = sinks.WriteFlushPeriod(str(tmp_path), "stream_prices")
    assert list(write.process(("stream_prices", []), period=period, pane=late)) == []
    assert list(tmp_path.rglob("*")) == []
    [path] = write.process(("stream_prices", [{"n": 1}]), period=period, pane=late)
    assert Path(path).read_text() == '{"n":1}\n'
