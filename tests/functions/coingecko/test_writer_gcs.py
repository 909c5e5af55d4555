"""Writing the lake to gs:// against the local GCS emulator (STORAGE_EMULATOR_HOST)."""

import io
from datetime import UTC, date, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from google.cloud import storage

from coinpulse import lake
from functions.coingecko import rows, writer
from standins.coingecko import data

pytestmark = pytest.mark.integration

DAY = date(2026, 5, 18)
NOW = datetime(2026, 5, 18, 12, 49, 21, tzinfo=UTC)


@pytest.fixture
def gcs(storage_emulator: str) -> storage.Client:
    """An anonymous client of a GCS emulator holding a bucket named cg-lake."""
    client = storage.Client.create_anonymous_client()
    client.create_bucket("cg-lake")
    return client


def candles(coin_ids: tuple[str, ...]) -> pa.Table:
    built = [
        row
        for coin_id in coin_ids
        for row in rows.ohlc_rows(data.candles(coin_id, 1, NOW), coin_id, 1, DAY, NOW)
    ]
    return writer.to_arrow(built, lake.COINGECKO_OHLC)


def test_a_date_is_one_object_under_the_prefix_and_a_rerun_is_a_new_generation(
    gcs: storage.Client,
) -> None:
    uri = writer.write(
        "gs://cg-lake/raw", lake.COINGECKO_OHLC, DAY, candles(("bitcoin", "ethereum"))
    )
    name = "raw/coingecko/ohlc/snapshot_date=2026-05-18/ohlc.parquet"
    assert uri == f"gs://cg-lake/{name}"
    blob = gcs.bucket("cg-lake").get_blob(name)
    assert blob is not None and blob.content_type == lake.PARQUET_CONTENT_TYPE
    stored = pq.read_table(io.BytesIO(blob.download_as_bytes()))
    assert stored.schema.equals(lake.COINGECKO_OHLC.arrow_schema()) and stored.num_rows == 96
    writer.write("gs://cg-lake/raw", lake.COINGECKO_OHLC, DAY, candles(("bitcoin",)))
    rewritten = gcs.bucket("cg-lake").get_blob(name)
    assert rewritten is not None and rewritten.generation != blob.generation
    assert [b.name for b in gcs.list_blobs("cg-lake")] == [name]
    assert pq.read_table(io.BytesIO(rewritten.download_as_bytes())).num_rows == 48
    assert lake.resolve(name) == lake.Target(lake.COINGECKO_OHLC, DAY)
