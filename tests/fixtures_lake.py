"""Lake fixtures: sample rows, objects and finalize events, the lake bucket on the GCS emulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import google.cloud.storage as gcs
import pytest
from cloudevents.http import CloudEvent

from coinpulse import lake
from commands import warehouse_db
from commands.duckdb_warehouse import create_tables
from functions.coingecko import rows, writer
from functions.loader import events, objects
from functions.loader.events import StorageObject
from functions.loader.store import GcsStore
from standins.coingecko import data

BUCKET = "coinpulse-lake"
DAY = date(2026, 5, 18)
FETCHED = datetime(2026, 5, 18, 12, 49, 21, tzinfo=UTC)
WINDOWS_NAME = "stream_prices/dt=2026-05-18/hh=12/stream_prices-20260518T121010Z-p0-{}.jsonl"


class Samples:
    """Builders of lake objects and events, served as a fixture (conftest is not importable)."""

    FETCHED = FETCHED
    BUCKET = BUCKET
    DAY = DAY

    @staticmethod
    def window_row(symbol: str = "BTCUSDT", minute: int = 0, pane: int = 0) -> dict[str, Any]:
        """One stream_prices row as the pipeline writes it (decimal strings, RFC 3339 times)."""
        start = datetime(2026, 5, 18, 12, minute, tzinfo=UTC)

        def at(seconds: float) -> str:
            return (start + timedelta(seconds=seconds)).isoformat(timespec="milliseconds")

        return {
            "symbol": symbol,
            "coin_id": {"BTCUSDT": "bitcoin", "ETHUSDT": "ethereum"}[symbol],
            "window_start": at(0).replace("+00:00", "Z"),
            "window_end": at(60).replace("+00:00", "Z"),
            "open_price": "100.5",
            "high_price": "101.25",
            "low_price": "99.75",
            "close_price": "100.000000001",
            "avg_price": "100.583333333334",
            "price_stddev": "0.623609564708",
            "vwap": "100.6",
            "trade_count": 3 + pane,
            "base_volume": "3.5",
            "quote_volume": "352.1",
            "taker_buy_base_volume": "1.25",
            "taker_buy_quote_volume": "125.75",
            "price_sum": "301.750000001",
            "price_sq_sum": "30351.3125002010000001",
            "first_trade_id": 1000,
            "first_trade_time": at(1.5),
            "last_trade_id": 1002 + pane,
            "last_trade_time": at(59.999),
            "duplicates_dropped": 0,
            "pane_index": pane,
            "pane_timing": "EARLY" if pane == 0 else "ON_TIME",
            "emitted_at": at(20 + 40 * pane),
        }

    @staticmethod
    def jsonl(*lines: dict[str, Any]) -> bytes:
        return b"".join(json.dumps(line).encode() + b"\n" for line in lines)

    @staticmethod
    def markets_parquet(coin_ids: tuple[str, ...] = ("bitcoin", "ethereum")) -> bytes:
        payload = [data.market(coin_id, FETCHED) for coin_id in coin_ids]
        built, _ = rows.market_rows(payload, coin_ids, DAY, FETCHED)
        return writer.parquet_bytes(writer.to_arrow(built, lake.COINGECKO_MARKETS))

    @staticmethod
    def candles_parquet(coin_ids: tuple[str, ...], fetched: datetime = FETCHED) -> bytes:
        built = [
            row
            for coin_id in coin_ids
            for row in rows.ohlc_rows(data.candles(coin_id, 1, fetched), coin_id, 1, DAY, fetched)
        ]
        return writer.parquet_bytes(writer.to_arrow(built, lake.COINGECKO_OHLC))

    @staticmethod
    def finalize_event(
        name: str, generation: int, *, bucket: str = BUCKET, time: datetime | None = None
    ) -> CloudEvent:
        """A finalize CloudEvent as Eventarc delivers it (int64 values as strings)."""
        moment = (time or datetime.now(UTC)).isoformat()
        attributes = {
            "id": f"{bucket}/{name}/{generation}",
            "type": lake.FINALIZED,
            "source": f"//storage.googleapis.com/projects/_/buckets/{bucket}",
            "subject": f"objects/{name}",
            "time": moment,
        }
        body = {"bucket": bucket, "name": name, "generation": str(generation), "updated": moment}
        return CloudEvent(attributes, body)


@pytest.fixture
def samples() -> type[Samples]:
    return Samples


@pytest.fixture
def bucket(storage_emulator: str) -> gcs.Bucket:
    """The lake bucket, created on the test's GCS emulator."""
    return gcs.Client().create_bucket(BUCKET)


Upload = Callable[[str, bytes], CloudEvent]


@pytest.fixture
def upload(bucket: gcs.Bucket) -> Upload:
    """``upload(name, data)``: write an object to the emulator; returns its finalize event."""

    def put(name: str, payload: bytes) -> CloudEvent:
        blob = bucket.blob(name)
        blob.upload_from_string(payload)
        return Samples.finalize_event(name, int(blob.generation))

    return put


class LakeObjects:
    """Objects written to the emulated lake bucket, with their finalize events; ``store`` is
    the bucket as the loader reads it."""

    def __init__(self, client: gcs.Client) -> None:
        self.client = client
        self.store = GcsStore(client)

    def put(self, bucket: str, name: str, payload: bytes) -> int:
        """Write a new generation of an object; returns the generation."""
        blob = self.client.bucket(bucket).blob(name)
        blob.upload_from_string(payload)
        return int(blob.generation)

    def upload(self, name: str, payload: bytes) -> tuple[CloudEvent, StorageObject]:
        """Write to the lake bucket; returns the finalize event and the object it announces."""
        event = Samples.finalize_event(name, self.put(BUCKET, name, payload))
        return event, events.parse(event)


@pytest.fixture
def lake_objects(bucket: gcs.Bucket) -> LakeObjects:
    """The lake bucket on the GCS emulator, as the loader's storage client sees it."""
    return LakeObjects(gcs.Client())


WindowSpec = tuple[str, int, int, int, int]


@pytest.fixture
def window_rows(samples: Any) -> Any:
    """``window_rows(*(symbol, minute, first_id, last_id, count))``: stream_prices rows as
    the pipeline writes them (JSONL), one per tuple, the other columns from samples.window_row."""

    def build(*windows: WindowSpec) -> bytes:
        rows = []
        for symbol, minute, first, last, count in windows:
            row = samples.window_row(symbol=symbol, minute=minute)
            row.update(first_trade_id=first, last_trade_id=last, trade_count=count)
            rows.append(row)
        return bytes(samples.jsonl(*rows))

    return build


@pytest.fixture
def windows_warehouse(tmp_path: Path, window_rows: Any) -> Any:
    """``windows_warehouse(*(symbol, minute, first_id, last_id, count))``: a DuckDB file
    holding those window rows (``window_rows``) in crypto_raw.stream_prices."""

    def build(*windows: WindowSpec) -> Path:
        path = tmp_path / "warehouse.duckdb"
        table = objects.read_table(window_rows(*windows), lake.Target(lake.STREAM_PRICES))
        with warehouse_db.transaction(path) as connection:
            create_tables(connection)
            connection.register("loaded", table)
            connection.execute("INSERT INTO crypto_raw.stream_prices SELECT * FROM loaded")
        return path

    return build
