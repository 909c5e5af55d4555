"""The WebSocket streams over real sockets: frames, pings, limits and every stream fault."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import pytest

from coinpulse import binance_frames
from coinpulse.trade import InvalidTrade, Trade
from standins.exchange import ExchangeConfig, FaultConfig, ReplayExchange
from standins.exchange.streams import MAX_STREAMS

pytestmark = pytest.mark.integration

PAIRS = ("BTCUSDT", "ETHUSDT", "SOLUSDT")


@asynccontextmanager
async def exchange(
    **settings: object,
) -> AsyncIterator[tuple[ReplayExchange, aiohttp.ClientSession]]:
    config = ExchangeConfig(**{"pairs": PAIRS, "seed": 1, "rate": 200.0, **settings})  # type: ignore[arg-type]
    async with ReplayExchange(config) as ex, aiohttp.ClientSession() as session:
        yield ex, session


async def texts(ws: aiohttp.ClientWebSocketResponse, count: int, timeout: float = 10) -> list[str]:
    """The next count text frames (fewer if the connection ends first)."""
    frames: list[str] = []
    async with asyncio.timeout(timeout):
        async for message in ws:
            if message.type is aiohttp.WSMsgType.TEXT:
                frames.append(message.data)
                if len(frames) == count:
                    break
    return frames


def parse_all(frames: list[str]) -> tuple[list[Trade], list[str]]:
    """(trades, rejection reasons) of frames."""
    trades: list[Trade] = []
    reasons: list[str] = []
    for frame in frames:
        try:
            parsed = binance_frames.parse_frame(frame, 0)
        except InvalidTrade as error:
            reasons.append(str(error))
        else:
            assert isinstance(parsed, Trade)
            trades.append(parsed)
    return trades, reasons


def ids_of(trades: list[Trade], pair: str) -> list[int]:
    return [trade.trade_id for trade in trades if trade.symbol == pair]


def consecutive(ids: list[int]) -> bool:
    return ids == list(range(ids[0], ids[0] + len(ids))) if ids else True


async def test_combined_stream_sends_the_subscribed_pairs_as_parseable_trades() -> None:
    async with (
        exchange() as (ex, session),
        session.ws_connect(ex.stream_url(["BTCUSDT", "ETHUSDT"])) as ws,
    ):
        frames = await texts(ws, 200)
    trades, reasons = parse_all(frames)
    assert reasons == []
    assert {trade.symbol for trade in trades} == {"BTCUSDT", "ETHUSDT"}
    assert all(consecutive(ids_of(trades, pair)) for pair in PAIRS)
    first = json.loads(frames[0])
    assert first["stream"] == first["data"]["s"].lower() + "@trade"


async def test_raw_stream_sends_bare_payloads() -> None:
    async with (
        exchange() as (ex, session),
        session.ws_connect(f"{ex.ws_url}/ws/solusdt@trade") as ws,
    ):
        frames = await texts(ws, 20)
    payloads = [json.loads(frame) for frame in frames]
    assert {payload["s"] for payload in payloads} == {"SOLUSDT"}
    assert all(payload["e"] == "trade" and "stream" not in payload for payload in payloads)


async def test_every_subscriber_gets_the_same_frames() -> None:
    async with (
        exchange() as (ex, session),
        session.ws_connect(ex.stream_url()) as one,
        session.ws_connect(ex.stream_url()) as two,
    ):
        await ex.wait_for_trades(1)
        first, second = await texts(one, 100), await texts(two, 100)
    overlap = set(first) & set(second)
    assert len(overlap) > 50
    assert [f for f in first if f in overlap] == [f for f in second if f in overlap]


async def test_streams_of_pairs_not_served_stay_silent() -> None:
    async with (
        exchange() as (ex, session),
        session.ws_connect(f"{ex.ws_url}/stream?streams=dogeusdt@trade/btcusdt@depth") as ws,
    ):
        await ex.wait_for_trades(5)
        with pytest.raises(TimeoutError):
            await texts(ws, 1, timeout=0.5)


async def test_more_than_1024_streams_or_none_are_refused_with_400() -> None:
    async with exchange() as (ex, session):
        streams = [f"coin{i}usdt@trade" for i in range(MAX_STREAMS)]
        async with session.ws_connect(f"{ex.ws_url}/stream?streams=" + "/".join(streams)) as ws:
            assert not ws.closed
        for bad in ("/".join([*streams, "btcusdt@trade"]), ""):
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await session.ws_connect(f"{ex.ws_url}/stream?streams={bad}")
            assert refused.value.status == 400
        async with session.get(f"{ex.rest_url}/stream") as response:
            assert response.status == 400
            assert (await response.json())["code"] == -1101


async def test_pings_arrive_and_a_client_that_pongs_stays_connected() -> None:
    async with (
        exchange(ping_interval=0.2, pong_timeout=0.5) as (ex, session),
        session.ws_connect(ex.stream_url(), autoping=False) as ws,
    ):
        pings = 0
        async with asyncio.timeout(1.5):
            while pings < 5:
                message = await ws.receive()
                if message.type is aiohttp.WSMsgType.PING:
                    pings += 1
                    await ws.pong(message.data)
        assert not ws.closed and ex.connections == 1


async def test_a_client_that_does_not_echo_pings_is_closed() -> None:
    async with (
        exchange(ping_interval=0.2, pong_timeout=0.5) as (ex, session),
        session.ws_connect(ex.stream_url(), autoping=False) as ws,
    ):
        async with asyncio.timeout(3):
            while True:
                message = await ws.receive()
                if message.type is aiohttp.WSMsgType.PING:
                    await ws.pong(b"not the ping payload")  # does not count, as at Binance
                elif message.type is aiohttp.WSMsgType.CLOSE:
                    break
        assert message.data == aiohttp.WSCloseCode.POLICY_VIOLATION


async def test_client_pings_are_answered() -> None:
    async with (
        exchange() as (ex, session),
        session.ws_connect(ex.stream_url(), autoping=False) as ws,
    ):
        await ws.ping(b"hello")
        async with asyncio.timeout(2):
            while (message := await ws.receive()).type is not aiohttp.WSMsgType.PONG:
                pass
        assert message.data == b"hello"


async def test_timed_drop_closes_without_close_frame_and_rest_recovers_the_gap() -> None:
    async with exchange(faults=FaultConfig(drop_every=0.6)) as (ex, session):
        async with session.ws_connect(ex.stream_url(["BTCUSDT"])) as ws:
            before, _ = parse_all(await texts(ws, 100_000))
            assert ws.close_code == aiohttp.WSCloseCode.ABNORMAL_CLOSURE  # no close frame came
        await asyncio.sleep(0.3)
        async with session.ws_connect(ex.stream_url(["BTCUSDT"])) as ws:
            after, _ = parse_all(await texts(ws, 5))
        last, resumed = before[-1].trade_id, after[0].trade_id
        assert resumed > last + 1
        url = f"{ex.rest_url}/api/v3/historicalTrades"
        params = {"symbol": "BTCUSDT", "fromId": str(last + 1), "limit": "1000"}
        async with session.get(url, params=params) as response:
            rows = await response.json()
    assert [row["id"] for row in rows][: resumed - last - 1] == list(range(last + 1, resumed))


async def test_per_frame_drop_ends_the_connection_abruptly() -> None:
    async with (
        exchange(faults=FaultConfig(drop_probability=0.02)) as (ex, session),
        session.ws_connect(ex.stream_url()) as ws,
    ):
        frames = await texts(ws, 100_000)
        assert ws.close_code == aiohttp.WSCloseCode.ABNORMAL_CLOSURE
    assert 0 < len(frames) < 2_000


async def test_server_shutdown_then_trades_during_the_grace_then_close_1001() -> None:
    faults = FaultConfig(shutdown_every=0.4, shutdown_grace=0.5)
    async with exchange(faults=faults) as (ex, session), session.ws_connect(ex.stream_url()) as ws:
        frames = await texts(ws, 100_000)
        assert ws.close_code == aiohttp.WSCloseCode.GOING_AWAY
    parsed = [binance_frames.parse_frame(frame, 0) for frame in frames]
    notices = [
        i for i, item in enumerate(parsed) if isinstance(item, binance_frames.ServerShutdown)
    ]
    assert len(notices) == 1
    assert json.loads(frames[notices[0]])["stream"] == "!serverShutdown"
    assert len(parsed) - notices[0] > 20  # trades kept flowing during the grace period


async def test_duplicated_frames_arrive_twice_in_a_row() -> None:
    async with (
        exchange(faults=FaultConfig(duplicate_probability=0.1)) as (ex, session),
        session.ws_connect(ex.stream_url()) as ws,
    ):
        frames = await texts(ws, 400)
    doubled = sum(a == b for a, b in itertools.pairwise(frames))
    assert doubled > 10
    trades, _ = parse_all(list(dict.fromkeys(frames)))
    assert all(consecutive(ids_of(trades, pair)) for pair in PAIRS)


async def test_reordered_frames_swap_neighbours_of_a_pair() -> None:
    async with (
        exchange(faults=FaultConfig(reorder_probability=0.1)) as (ex, session),
        session.ws_connect(ex.stream_url(["BTCUSDT"])) as ws,
    ):
        frames = await texts(ws, 400)
    ids = ids_of(parse_all(frames)[0], "BTCUSDT")
    backwards = sum(b < a for a, b in itertools.pairwise(ids))
    assert backwards > 10
    assert consecutive(sorted(ids)[:350])


async def test_malformed_frames_come_in_addition_to_the_trades() -> None:
    async with (
        exchange(faults=FaultConfig(malformed_probability=0.1)) as (ex, session),
        session.ws_connect(ex.stream_url()) as ws,
    ):
        frames = await texts(ws, 500)
    trades, reasons = parse_all(frames)
    assert len(reasons) > 15
    assert all(consecutive(ids_of(trades, pair)) for pair in PAIRS)


async def test_truth_equals_what_a_fault_free_client_received() -> None:
    cap = 300
    async with exchange(rate=300.0, max_trades=cap, first_trade_id=1) as (ex, session):
        async with session.ws_connect(ex.stream_url()) as ws:
            received: list[Trade] = []
            async with asyncio.timeout(20):
                while not all(cap in ids_of(received, pair) for pair in PAIRS):
                    received += parse_all(await texts(ws, 1))[0]
        for pair in PAIRS:
            mine = [trade.to_record() for trade in received if trade.symbol == pair]
            truth = ex.truth(pair, from_id=mine[0]["trade_id"])
            assert len(truth) == len(mine) > cap // 2
            assert [{**record, "received_at": 0} for record in truth] == mine
        async with session.get(f"{ex.rest_url}/_replay/truth", params={"symbol": "ETHUSDT"}) as got:
            assert await got.json() == ex.truth("ETHUSDT")
