import pytest

from relay.feed import shard, stream_url

pytestmark = pytest.mark.unit


def test_pairs_are_sharded_at_the_stream_limit() -> None:
    pairs = [f"P{i}USDT" for i in range(2050)]
    shards = shard(pairs)
    assert [len(s) for s in shards] == [1024, 1024, 2]
    assert [p for s in shards for p in s] == pairs
    with pytest.raises(ValueError):
        shard(pairs, 0)


def test_stream_url_is_the_combined_trade_stream() -> None:
    url = stream_url("wss://stream.binance.com:9443/", ["BTCUSDT", "ETHUSDT"])
    assert url == "wss://stream.binance.com:9443/stream?streams=btcusdt@trade/ethusdt@trade"
