"""The relay's frame path without a network: recorded frames, dead letters, sharding, health."""

import asyncio
import json
import logging
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from google.api_core.exceptions import ServiceUnavailable

from coinpulse import messages, schemas
from coinpulse.trade import Trade
from relay import checkpoint, health
from relay.checkpoint import CheckpointStore, NoCheckpoint, Positions
from relay.service import Relay, RelaySettings
from relay.sinks import NullSink, Sink, open_sink
from standins.exchange import ExchangeConfig, ReplayExchange

RECORDING = Path(__file__).resolve().parents[1] / "data" / "binance_us_ws_recording.txt"


def make_relay(tmp_path: Path, pairs: list[str], **settings: object) -> Relay:
    return Relay(
        RelaySettings(pairs=pairs, ws_url="ws://unused", rest_url="http://unused", **settings),  # type: ignore[arg-type]
        open_sink(f"file:{tmp_path / 'trades.jsonl'}"),
        open_sink(f"file:{tmp_path / 'dead.jsonl'}"),
        NoCheckpoint(),
    )


@pytest.mark.unit
async def test_recorded_frames_become_trades_and_reasoned_dead_letters(
    tmp_path: Path, recorded_pairs: list[str]
) -> None:
    relay = make_relay(tmp_path, recorded_pairs)
    frames = 0
    for line in RECORDING.read_text().splitlines():
        stamp, sep, frame = line.partition(": ")
        if sep and stamp.replace(".", "", 1).isdigit():
            frames += 1
            await relay.on_frame(frame, int(float(stamp) * 1000))
    await relay._shutdown()
    trades = [
        r
        for line in (tmp_path / "trades.jsonl").read_text().splitlines()
        for r in json.loads(line)["data"]
    ]
    dead = [json.loads(line)["data"] for line in (tmp_path / "dead.jsonl").read_text().splitlines()]
    assert [t["trade_id"] for t in trades] == list(range(439577, 439588))
    assert len(trades) + len(dead) == frames == relay.stats.frames_in
    assert relay.stats.dead_letters == {
        "unknown event type 'depthUpdate'": 336,
        "unknown event type 'kline'": 5,
        "missing event type 'e'": 128,
    }
    assert {d["stage"] for d in dead} == {"relay"}
    columns = [field["name"] for field in schemas.fields("dead_letters")]
    assert all(list(d) == columns for d in dead)  # loadable into crypto_raw.dead_letters
    assert dead[0]["received_at"] == "2021-10-12T00:24:34.723Z"
    assert all(json.loads(d["raw"]) for d in dead)  # the raw frame is kept whole


@pytest.mark.integration
async def test_pairs_past_the_stream_limit_get_their_own_connection(tmp_path: Path) -> None:
    config = ExchangeConfig(pairs=("BTCUSDT", "ETHUSDT", "SOLUSDT"), rate=20.0)
    async with ReplayExchange(config) as exchange:
        relay = Relay(
            RelaySettings(
                pairs=["BTCUSDT", "ETHUSDT", "SOLUSDT"],
                ws_url=exchange.ws_url,
                rest_url=exchange.rest_url,
                max_streams_per_connection=2,
            ),
            open_sink("null"),
            open_sink("null"),
            NoCheckpoint(),
        )
        task = asyncio.create_task(relay.run())
        await exchange.wait_for_trades(20)
        assert exchange.connections == 2 and relay.stats.open_connections == 2
        relay.stop()
        await task
    assert relay.stats.trades_received >= 3 * 20


@pytest.mark.integration
async def test_health_is_stale_without_connections_or_frames(tmp_path: Path) -> None:
    relay = make_relay(tmp_path, ["BTCUSDT"])
    async with TestClient(TestServer(health.app(relay))) as client:
        assert (await client.get("/healthz")).status == 200
        relay.stats.started_at -= 3600  # an hour without a connection or a frame
        response = await client.get("/healthz")
        assert response.status == 503 and await response.json() == {"status": "stale"}
        stats = await (await client.get("/stats")).json()
        assert stats["pairs"] == {
            "BTCUSDT": {"last_trade_id": None, "missing_trades": 0, "open_gaps": 0}
        }
        assert stats["sink"].startswith("file:")


class FlowControlledSink(Sink):
    """The relay's sink interface with flow control: ``submit`` waits until ``room`` is set."""

    name = "flow-controlled"

    def __init__(self) -> None:
        self.room = asyncio.Event()
        self.waiting = asyncio.Event()
        self.submitted: list[bytes] = []

    async def submit(self, body: bytes, attributes: messages.Attributes) -> asyncio.Future[None]:
        self.waiting.set()
        await self.room.wait()
        self.submitted.append(body)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


def trade(symbol: str, trade_id: int) -> Trade:
    return Trade(symbol, "bitcoin", trade_id, "1.5", "2", 1_700_000_000_000, None, False, 0)


@pytest.mark.unit
async def test_a_closed_batch_waiting_for_room_holds_the_checkpoint_back() -> None:
    sink = FlowControlledSink()
    relay = Relay(
        RelaySettings(
            pairs=["BTCUSDT", "ETHUSDT"],
            ws_url="ws://unused",
            rest_url="http://unused",
            batch_max_delay=0.01,
            heartbeat_every=0,
        ),
        sink,
        NullSink(),
        NoCheckpoint(),
    )
    await relay.accept(trade("BTCUSDT", 10))
    await relay.accept(trade("ETHUSDT", 20))
    flushing = asyncio.create_task(relay._flush_loop())
    await asyncio.wait_for(sink.waiting.wait(), 5)
    # One batch waits for room, the other has not been handed over: neither is acknowledged.
    assert relay.positions() == {"BTCUSDT": 9, "ETHUSDT": 19}
    sink.room.set()
    while len(sink.submitted) < 2:
        await asyncio.sleep(0.01)
    assert relay.positions() == {"BTCUSDT": 10, "ETHUSDT": 20}
    relay.stop()
    await flushing


class FlakyCheckpoint(CheckpointStore):
    """The relay's checkpoint interface; the first save fails as a GCS 503 would."""

    location = "flaky"

    def __init__(self) -> None:
        self.saves = 0
        self.saved: Positions = {}

    def load(self) -> Positions:
        return {}

    def save(self, positions: Positions) -> None:
        self.saves += 1
        if self.saves == 1:
            upload = "POST https://storage.googleapis.com/upload: try again"
            raise ServiceUnavailable(upload)  # type: ignore[no-untyped-call]
        self.saved = dict(positions)


@pytest.mark.unit
async def test_a_failed_checkpoint_write_is_logged_counted_and_written_later(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(checkpoint, "CHECKPOINT_EVERY", 0.05)
    store = FlakyCheckpoint()
    relay = Relay(
        RelaySettings(pairs=["BTCUSDT"], ws_url="ws://unused", rest_url="http://unused"),
        NullSink(),
        NullSink(),
        store,
    )
    relay.trackers["BTCUSDT"].observe(41, 0.0)
    saving = asyncio.create_task(
        checkpoint.keep_saving(store, relay.positions, relay.stopping, relay.stats)
    )
    for _ in range(100):
        if store.saved or saving.done():
            break
        await asyncio.sleep(0.05)
    relay.stop()
    await saving
    assert store.saved == {"BTCUSDT": 41}
    assert relay.stats.checkpoint_save_errors == 1
    [failure] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert failure.exc_info is not None and "503" in str(failure.exc_info[1])


class RefusingOnceSink(Sink):
    """The relay's sink interface; the first submit raises before handing anything over."""

    name = "refusing-once"

    def __init__(self) -> None:
        self.calls = 0
        self.accepted: list[bytes] = []

    async def submit(self, body: bytes, attributes: messages.Attributes) -> asyncio.Future[None]:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("cannot publish: the publisher is restarting")
        self.accepted.append(body)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


@pytest.mark.unit
async def test_a_sink_that_raises_on_submit_gets_the_message_again() -> None:
    sink = RefusingOnceSink()
    relay = Relay(
        RelaySettings(
            pairs=["BTCUSDT"], ws_url="ws://unused", rest_url="http://unused", batch_max_trades=1
        ),
        sink,
        NullSink(),
        NoCheckpoint(),
    )
    await relay.accept(trade("BTCUSDT", 7))  # fills a batch of one: submitted at once
    assert relay.positions() == {"BTCUSDT": 6}
    for _ in range(100):
        if sink.accepted:
            break
        await asyncio.sleep(0.05)
    assert [json.loads(body)[0]["trade_id"] for body in sink.accepted] == [7]
    assert relay.positions() == {"BTCUSDT": 7} and relay.stats.publish_errors == 1


@pytest.mark.unit
async def test_a_background_task_that_keeps_failing_stops_the_relay_as_failed(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    relay = Relay(
        RelaySettings(pairs=["BTCUSDT"], ws_url="ws://127.0.0.1:9", rest_url="http://127.0.0.1:9"),
        NullSink(),
        NullSink(),
        NoCheckpoint(),
    )

    async def broken_flush_loop() -> None:
        raise json.JSONDecodeError("Unterminated string", '[{"id": 5, "pri', 11)

    monkeypatch.setattr(relay, "_flush_loop", broken_flush_loop)
    # A relay that outlives its flush loop would run until the timeout.
    await asyncio.wait_for(relay.run(), 30)
    assert relay.failed == "flush"
    assert relay.stats.task_failures["flush"] >= 2
    failures = [r for r in caplog.records if r.getMessage().startswith("background task failed")]
    assert failures and all(r.exc_info is not None for r in failures)
    assert all(r.fields["task"] == "flush" for r in failures)  # type: ignore[attr-defined]


@pytest.mark.integration
async def test_health_fails_once_a_task_cannot_continue(tmp_path: Path) -> None:
    relay = make_relay(tmp_path, ["BTCUSDT"])
    relay.stats.open_connections = 1
    async with TestClient(TestServer(health.app(relay))) as client:
        assert (await client.get("/healthz")).status == 200
        relay._supervisor.failed = "backfill"
        response = await client.get("/healthz")
        assert response.status == 503
        assert await response.json() == {"status": "failed", "task": "backfill"}
