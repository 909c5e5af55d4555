"""The lake contract: writers' object names, their tables, and what is not data."""

from datetime import UTC, date, datetime

import pytest

from coinpulse import lake, schemas

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
    target = lake.resolve(name)
    assert lake.skip_reason(name) is None
    assert target is not None and target.route.table == table
    assert target.route.dataset == "crypto_raw"


def test_a_coingecko_object_carries_its_date() -> None:
    target = lake.resolve("coingecko/markets/snapshot_date=2026-05-18/markets.parquet")
    assert target is not None and target.day is not None and target.day.isoformat() == "2026-05-18"
    assert target.route.write == lake.REPLACE_DATE


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
    assert lake.skip_reason(name) is not None


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
    assert lake.resolve(name) is None


def test_every_route_has_a_schema_file_with_its_partition_and_key_columns() -> None:
    for route in lake.ROUTES:
        names = {field["name"] for field in schemas.fields(route.table)}
        assert {route.partitioning.field, *route.clustering, *route.key} <= names
        assert route.version is None or route.version in names


def test_writers_names_are_deterministic_and_route_back_to_their_table() -> None:
    period = datetime(2026, 5, 18, 12, 10, 10, tzinfo=UTC)
    streaming = lake.streaming_object("late_trades", period, 1, "0a1b")
    assert streaming == "late_trades/dt=2026-05-18/hh=12/late_trades-20260518T121010Z-p1-0a1b.jsonl"
    backfill = lake.backfill_object("stream_prices", "2026-05-18", "ff")
    assert backfill == "stream_prices/dt=2026-05-18/stream_prices-backfill-ff.jsonl"
    day = date(2026, 5, 18)
    markets = lake.coingecko_object(lake.COINGECKO_MARKETS, day)
    assert markets == "coingecko/markets/snapshot_date=2026-05-18/markets.parquet"
    ohlc = lake.coingecko_object(lake.COINGECKO_OHLC, day)
    assert ohlc == "coingecko/ohlc/snapshot_date=2026-05-18/ohlc.parquet"
    assert lake.resolve("raw/" + ohlc) == lake.Target(lake.COINGECKO_OHLC, day)
    assert lake.resolve(markets) == lake.Target(lake.COINGECKO_MARKETS, day)
    for name in (streaming, backfill):
        target = lake.resolve(name)
        assert target is not None and target.route.folder == name.split("/")[0]


def test_coingecko_tables_load_by_date_or_key() -> None:
    assert lake.COINGECKO_MARKETS.write == lake.REPLACE_DATE
    assert lake.COINGECKO_OHLC.write == lake.UPSERT
    assert lake.COINGECKO_OHLC.key == ("coin_id", "candle_close_time")
    for name in (
        "coingecko/markets/snapshot_date=2026-05-18/.markets.parquet.0f3a.tmp",
        "coingecko/markets/snapshot_date=2026-05-18/ohlc.parquet",
        "trades/2026/05/18/12/trades.jsonl",
    ):
        assert lake.resolve(name) is None, name
