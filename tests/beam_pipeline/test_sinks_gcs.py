# mypy: disable-error-code="no-untyped-call"
# (google-api-core's exceptions carry no type annotations.)
"""gs:// outputs against fake-gcs-server: create-only uploads and a backfill."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from google.cloud import storage

from beam_pipeline import backfill, sinks

pytestmark = pytest.mark.integration

BUCKET = "coinpulse-lake"


@pytest.fixture
def gcs(storage_emulator: str) -> Iterator[storage.Bucket]:
    """The lake bucket on a GCS emulator, with the sinks' cached client reset around it."""
    sinks._gcs_client.cache_clear()
    try:
        yield storage.Client().create_bucket(BUCKET)
    finally:
        sinks._gcs_client.cache_clear()


def test_a_second_create_of_the_same_name_is_a_no_op_that_keeps_the_first(
    gcs: storage.Bucket,
) -> None:
    """fake-gcs-server enforces if_generation_match=0 as GCS does: the second create gets 412."""
    path = f"gs://{BUCKET}/stream_prices/dt=2026-01-01/a.jsonl"
    assert sinks.create_only(path, b'{"a":1}\n') is True
    assert sinks.create_only(path, b'{"a":2}\n') is False
    blob = gcs.get_blob("stream_prices/dt=2026-01-01/a.jsonl")
    assert blob is not None and blob.download_as_bytes() == b'{"a":1}\n'


def test_backfill_writes_to_a_gs_prefix(gcs: storage.Bucket, tmp_path: Path) -> None:
    csv = tmp_path / "BTCUSDT-trades-2024-03-01.csv"
    csv.write_text("1,100.0,1.0,100.0,1709251200000,True,True\nbad row\n")
    assert backfill.run(["--input", str(csv), "--output", f"gs://{BUCKET}/lake"]) == 0
    names = sorted(blob.name for blob in gcs.list_blobs(prefix="lake/"))
    assert [name.rsplit("-", 1)[0] for name in names] == [
        "lake/dead_letters/dt=" + names[0].split("dt=")[1][:10] + "/dead_letters-backfill",
        "lake/stream_prices/dt=2024-03-01/stream_prices-backfill",
    ]
