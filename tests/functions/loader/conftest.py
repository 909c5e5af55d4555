"""Fixtures of the loader tests: lake rows and objects, CloudEvents, the GCS emulator."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import google.cloud.storage as gcs
import pytest
from cloudevents.http import CloudEvent

from coinpulse import localproc
from functions.coingecko import lake, rows
from functions.coingecko.standin import data
from functions.loader import events
from functions.loader.events import StorageObject

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
        return lake.parquet_bytes(lake.to_arrow(built, lake.MARKETS))

    @staticmethod
    def candles_parquet(coin_ids: tuple[str, ...], fetched: datetime = FETCHED) -> bytes:
        built = [
            row
            for coin_id in coin_ids
            for row in rows.ohlc_rows(data.candles(coin_id, 1, fetched), coin_id, 1, DAY, fetched)
        ]
        return lake.parquet_bytes(lake.to_arrow(built, lake.OHLC))

    @staticmethod
    def finalize_event(
        name: str, generation: int, *, bucket: str = BUCKET, time: datetime | None = None
    ) -> CloudEvent:
        """A finalize CloudEvent as Eventarc delivers it (int64 values as strings)."""
        moment = (time or datetime.now(UTC)).isoformat()
        attributes = {
            "id": f"{bucket}/{name}/{generation}",
            "type": events.FINALIZED,
            "source": f"//storage.googleapis.com/projects/_/buckets/{bucket}",
            "subject": f"objects/{name}",
            "time": moment,
        }
        body = {"bucket": bucket, "name": name, "generation": str(generation), "updated": moment}
        return CloudEvent(attributes, body)


@pytest.fixture
def samples() -> type[Samples]:
    return Samples


class FakeBlob:
    """The few Blob methods the loader uses, over FakeStorage's dict."""

    def __init__(self, store: FakeStorage, bucket: str, name: str, generation: int | None) -> None:
        self.store, self.bucket_name, self.name = store, bucket, name
        self.generation = generation or store.live.get((bucket, name))

    def download_as_bytes(self) -> bytes:
        return self.store.data[(self.bucket_name, self.name, self.generation)]

    def upload_from_string(self, payload: bytes | str, content_type: str | None = None) -> None:
        self.store.put(self.bucket_name, self.name, payload)


class FakeBucket:
    def __init__(self, store: FakeStorage, name: str) -> None:
        self.store, self.name = store, name

    def blob(self, name: str, generation: int | None = None) -> FakeBlob:
        return FakeBlob(self.store, self.name, name, generation)

    def get_blob(self, name: str) -> FakeBlob | None:
        return self.blob(name) if (self.name, name) in self.store.live else None

    def copy_blob(
        self, blob: FakeBlob, destination: FakeBucket, new_name: str, source_generation: int
    ) -> None:
        payload = self.store.data[(self.name, blob.name, source_generation)]
        self.store.put(destination.name, new_name, payload)


class FakeStorage:
    """An in-memory stand-in for storage.Client: objects with generations."""

    def __init__(self) -> None:
        self.data: dict[tuple[str, str, int | None], bytes] = {}
        self.live: dict[tuple[str, str], int] = {}
        self.generations = itertools.count(1_700_000_000_000_001)

    def bucket(self, name: str) -> FakeBucket:
        return FakeBucket(self, name)

    def put(self, bucket: str, name: str, payload: bytes | str) -> int:
        generation = next(self.generations)
        self.data[(bucket, name, generation)] = (
            payload.encode() if isinstance(payload, str) else payload
        )
        self.live[(bucket, name)] = generation
        return generation

    def upload(self, name: str, payload: bytes) -> tuple[CloudEvent, StorageObject]:
        """Write an object to the lake bucket; returns its finalize event and parsed object."""
        event = Samples.finalize_event(name, self.put(BUCKET, name, payload))
        return event, events.parse(event)


@pytest.fixture
def fake_storage() -> FakeStorage:
    return FakeStorage()


@pytest.fixture
def gcs_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The GCS emulator with the lake bucket; STORAGE_EMULATOR_HOST points at it."""
    with localproc.gcs_emulator(bucket=BUCKET, log_path=tmp_path / "gcs.log") as host:
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", host)
        yield host


@pytest.fixture
def bucket(gcs_host: str) -> gcs.Bucket:
    return gcs.Client().bucket(BUCKET)


Upload = Callable[[str, bytes], CloudEvent]


@pytest.fixture
def upload(bucket: gcs.Bucket) -> Upload:
    """``upload(name, data)``: write an object to the emulator; returns its finalize event."""

    def put(name: str, payload: bytes) -> CloudEvent:
        blob = bucket.blob(name)
        blob.upload_from_string(payload)
        return Samples.finalize_event(name, int(blob.generation))

    return put
