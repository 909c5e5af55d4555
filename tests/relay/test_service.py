"""The relay's frame path without a network: recorded frames, dead letters, sharding, health."""

import asyncio
import json
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from coinpulse import schemas
from relay import health
from relay.checkpoint import NoCheckpoint
from relay.service import Relay, RelaySettings
from relay.sinks import open_sink
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
