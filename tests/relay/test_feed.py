import asyncio

import aiohttp
import pytest

from relay.feed import ShardFeed, shard, stream_url
from relay.stats import RelayStats
from standins.exchange import ExchangeConfig, ReplayExchange


@pytest.mark.unit
def test_pairs_are_sharded_at_the_stream_limit() -> None:
    pairs = [f"P{i}USDT" for i in range(2050)]
    shards = shard(pairs)
    assert [len(s) for s in shards] == [1024, 1024, 2]
    assert [p for s in shards for p in s] == pairs
    with pytest.raises(ValueError):
        shard(pairs, 0)


@pytest.mark.unit
def test_stream_url_is_the_combined_trade_stream() -> None:
    url = stream_url("wss://stream.binance.com:9443/", ["BTCUSDT", "ETHUSDT"])
    assert url == "wss://stream.binance.com:9443/stream?streams=btcusdt@trade/ethusdt@trade"


@pytest.mark.integration
async def test_a_frame_handler_error_is_logged_counted_and_the_feed_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    frames: list[str] = []

    async def handler(raw: str, received_at: int) -> bool:
        frames.append(raw)
        if len(frames) == 1:
            raise ValueError("cannot handle this frame")
        return False

    stats = RelayStats()
    stopping = asyncio.Event()
    config = ExchangeConfig(pairs=("BTCUSDT",), rate=50.0)
    async with ReplayExchange(config) as exchange, aiohttp.ClientSession() as session:
        feed = ShardFeed(
            session,
            pairs=["BTCUSDT"],
            base_url=exchange.ws_url,
            handler=handler,
            connected=lambda pairs: None,
            stats=stats,
        )
        running = asyncio.create_task(feed.run(stopping))
        for _ in range(200):
            if len(frames) >= 5:
                break
            await asyncio.sleep(0.05)
        stopping.set()
        await asyncio.wait_for(running, 10)
    assert len(frames) >= 5  # reconnected and went on reading
    assert stats.task_failures == {"frames": 1} and stats.reconnects == 1
    [failure] = [r for r in caplog.records if r.getMessage().startswith("frame handling failed")]
    assert failure.exc_info is not None
