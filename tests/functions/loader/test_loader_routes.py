"""Object names -> tables, what is not data, and the deterministic job ids."""

import re

import pytest

from coinpulse import schemas
from functions.loader import routes

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("name", "table"),
    [
        (
            "stream_prices/dt=2026-05-18/hh=12/stream_prices-20260518T121010Z-p0-0a1b.jsonl",
            "stream_prices",
        ),
        ("lake/stream_prices/dt=2026-05-18/stream_prices-backfill-0a1b.jsonl", "stream_prices"),
        ("late_trades/dt=2026-05-18/hh=00/late_trades-20260518T000010Z-p1-ff.jsonl", "late_trades"),
        (
            "dead_letters/dt=2026-05-18/hh=23/dead_letters-20260518T235810Z-p0-0.jsonl",
            "dead_letters",
        ),
        ("coingecko/markets/snapshot_date=2026-05-18/markets.parquet", "coingecko_markets"),
        ("raw/coingecko/ohlc/snapshot_date=2026-05-18/ohlc.parquet", "coingecko_ohlc_candles"),
    ],
)
def test_each_writer_s_names_route_to_its_table(name: str, table: str) -> None:
    target = routes.resolve(name)
    assert routes.skip_reason(name) is None
    assert target is not None and target.route.table == table
    assert target.route.dataset == "crypto_raw"


def test_a_coingecko_object_carries_its_date() -> None:
    target = routes.resolve("coingecko/markets/snapshot_date=2026-05-18/markets.parquet")
    assert target is not None and target.day is not None and target.day.isoformat() == "2026-05-18"
    assert target.route.write == routes.REPLACE_DATE


@pytest.mark.parametrize(
    "name",
    [
        "quarantine/stream_prices/dt=2026-05-18/hh=12/stream_prices-x-p0-0a.jsonl",
        "stream_prices/dt=2026-05-18/hh=12/.stream_prices-x-p0-0a.jsonl.0f3c.tmp",
        "stream_prices/beam-temp-stream_prices-1234/part-0.jsonl",
        "stream_prices/.temp-beam-1234/part-0.jsonl",
        "coingecko/ohlc/snapshot_date=2026-05-18/.ohlc.parquet.9a.tmp",
        "stream_prices/dt=2026-05-18/_SUCCESS",
        "stream_prices/dt=2026-05-18/",
    ],
)
def test_temporary_marker_and_quarantined_objects_are_not_data(name: str) -> None:
    assert routes.skip_reason(name) is not None


@pytest.mark.parametrize(
    "name",
    [
        "stream_prices/stream_prices-p0.jsonl",
        "stream_prices/dt=2026-05-18/hh=12/late_trades-x-p0-0a.jsonl",
        "stream_prices/dt=2026-05-18/hh=12/stream_prices-x-p0-0a.json",
        "coingecko/markets/snapshot_date=2026-02-30/markets.parquet",
        "notes/readme.txt",
    ],
)
def test_names_no_writer_produces_have_no_route(name: str) -> None:
    assert routes.resolve(name) is None


def test_job_ids_are_deterministic_per_generation_and_valid_for_bigquery() -> None:
    name = "stream_prices/dt=2026-05-18/hh=12/stream_prices-20260518T121010Z-p0-0a1b.jsonl"
    first = routes.job_id("stream_prices", "lake", name, 1747570210000001)
    assert first == routes.job_id("stream_prices", "lake", name, 1747570210000001)
    assert first != routes.job_id("stream_prices", "lake", name, 1747570210000002)
    assert first != routes.job_id("stream_prices", "other", name, 1747570210000001)
    retry = routes.job_id("stream_prices", "lake", name, 1747570210000001, attempt=2)
    merge = routes.job_id("stream_prices", "lake", name, 1747570210000001, action="merge")
    assert retry == first + "_a2" and merge == first.replace("load_", "merge_", 1)
    for job_id in (first, retry, merge):
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,1024}", job_id)
    assert first.startswith("load_stream_prices_")


def test_every_route_has_a_schema_file_with_its_partition_and_key_columns() -> None:
    for route in routes.ROUTES:
        names = {field["name"] for field in schemas.fields(route.table)}
        assert {route.partitioning.field, *route.clustering, *route.key} <= names
        assert route.version is None or route.version in names
