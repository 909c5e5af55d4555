"""The exchange as a whole: configuration, lifecycle, ids across restarts, the truth file."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import aiohttp
import pytest

from standins.exchange import ExchangeConfig, FaultConfig, ReplayExchange


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"rate": 0}, "rate"),
        ({"max_trades": -1}, "max_trades"),
        ({"ping_interval": 0}, "ping_interval"),
        ({"weight_limit": 0}, "weight_limit"),
        ({"pairs": ["BTC-USDT"]}, "malformed pair"),
    ],
)
@pytest.mark.unit
def test_nonsense_configuration_is_refused(settings: dict[str, object], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        ExchangeConfig(**settings)  # type: ignore[arg-type]


@pytest.mark.unit
def test_pairs_are_normalized() -> None:
    assert ExchangeConfig(
        open_on_subscribe=False, pairs=["ethusdt", "btcusdt", "ETHUSDT"]
    ).pairs == ("ETHUSDT", "BTCUSDT")


@pytest.mark.integration
async def test_urls_port_zero_and_release_on_stop() -> None:
    ex = ReplayExchange(ExchangeConfig(open_on_subscribe=False, pairs=("BTCUSDT", "ETHUSDT")))
    await ex.start()
    try:
        assert ex.port > 0
        assert ex.ws_url == f"ws://127.0.0.1:{ex.port}"
        assert ex.rest_url == f"http://127.0.0.1:{ex.port}"
        assert ex.stream_url() == f"{ex.ws_url}/stream?streams=btcusdt@trade/ethusdt@trade"
        assert ex.stream_url(["ethusdt"]) == f"{ex.ws_url}/stream?streams=ethusdt@trade"
    finally:
        await ex.stop()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", ex.port))  # free again


@pytest.mark.integration
async def test_a_taken_port_fails_start_with_oserror(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        path = tmp_path / "truth.jsonl"
        ex = ReplayExchange(
            ExchangeConfig(open_on_subscribe=False, pairs=("BTCUSDT",), port=port, truth_file=path)
        )
        with pytest.raises(OSError):
            await ex.start()
    assert not any(task.get_name() == "exchange-clock" for task in asyncio.all_tasks())
    await ex.stop()  # stopping again is harmless


@pytest.mark.integration
async def test_stop_does_not_wait_long_for_a_client_that_ignores_the_close() -> None:
    ex = ReplayExchange(ExchangeConfig(open_on_subscribe=False, pairs=("BTCUSDT",), rate=1_000))
    await ex.start()
    handshake = (
        "GET /stream?streams=btcusdt@trade HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    )
    reader, writer = await asyncio.open_connection("127.0.0.1", ex.port)
    writer.write(handshake.encode())
    assert (await reader.readline()).startswith(b"HTTP/1.1 101")
    while ex.connections == 0:
        await asyncio.sleep(0.01)
    loop = asyncio.get_running_loop()
    began = loop.time()
    await ex.stop()
    assert loop.time() - began < 4
    writer.close()


@pytest.mark.integration
async def test_market_runs_without_clients_and_stops_at_max_trades_while_serving() -> None:
    config = ExchangeConfig(open_on_subscribe=False, pairs=("SOLUSDT",), rate=2_000, max_trades=50)
    async with ReplayExchange(config) as ex:
        await ex.wait_for_trades(50, timeout=10)
        await asyncio.sleep(0.2)
        assert ex.trade_count("SOLUSDT") == 50 and ex.exhausted
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{ex.rest_url}/api/v3/ping") as response,
        ):
            assert response.status == 200


@pytest.mark.integration
async def test_wait_for_trades_times_out() -> None:
    async with ReplayExchange(
        ExchangeConfig(open_on_subscribe=False, pairs=("BTCUSDT",), max_trades=0)
    ) as ex:
        with pytest.raises(TimeoutError):
            await ex.wait_for_trades(1, timeout=0.3)


@pytest.mark.integration
async def test_a_restarted_exchange_continues_above_earlier_ids() -> None:
    async with ReplayExchange(
        ExchangeConfig(open_on_subscribe=False, pairs=("BTCUSDT",), rate=500)
    ) as first:
        await first.wait_for_trades(20)
        last = first.truth("BTCUSDT")[-1]["trade_id"]
    await asyncio.sleep(0.01)
    async with ReplayExchange(
        ExchangeConfig(open_on_subscribe=False, pairs=("BTCUSDT",), rate=500)
    ) as second:
        await second.wait_for_trades(1)
        assert second.truth("BTCUSDT")[0]["trade_id"] > last


@pytest.mark.integration
async def test_first_trade_id_is_configurable() -> None:
    async with ReplayExchange(
        ExchangeConfig(open_on_subscribe=False, pairs=("BTCUSDT",), rate=500, first_trade_id=42)
    ) as ex:
        await ex.wait_for_trades(1)
        assert ex.truth("BTCUSDT")[0]["trade_id"] == 42


@pytest.mark.integration
async def test_truth_file_holds_every_trade_even_under_faults(tmp_path: Path) -> None:
    path = tmp_path / "truth.jsonl"
    config = ExchangeConfig(
        open_on_subscribe=False,
        pairs=("BTCUSDT", "ETHUSDT"),
        rate=1_000,
        max_trades=200,
        truth_file=path,
        faults=FaultConfig.from_names("all"),
    )
    async with ReplayExchange(config) as ex:
        await ex.wait_for_trades(200)
        expected = ex.truth("BTCUSDT") + ex.truth("ETHUSDT")
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert sorted(lines, key=lambda r: (r["symbol"], r["trade_id"])) == expected


@pytest.mark.integration
async def test_unknown_pairs_are_served_too() -> None:
    async with (
        ReplayExchange(
            ExchangeConfig(open_on_subscribe=False, pairs=("FOOBARUSDT",), rate=500)
        ) as ex,
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{ex.ws_url}/ws/foobarusdt@trade") as ws,
    ):
        payload = json.loads(await ws.receive_str(timeout=5))
    assert payload["s"] == "FOOBARUSDT" and float(payload["p"]) > 0


@pytest.mark.integration
async def test_the_market_opens_when_the_first_client_subscribes() -> None:
    async with ReplayExchange(ExchangeConfig(pairs=("BTCUSDT",), rate=2_000)) as ex:
        await asyncio.sleep(0.3)
        assert ex.trade_count("BTCUSDT") == 0
        async with aiohttp.ClientSession() as session, session.ws_connect(ex.stream_url()) as ws:
            message = await ws.receive(timeout=5)
            assert message.type == aiohttp.WSMsgType.TEXT
        assert ex.trade_count("BTCUSDT") > 0
