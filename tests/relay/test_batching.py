import pytest

from coinpulse.trade import Trade
from relay.batching import Batcher


def trade(symbol: str, trade_id: int) -> Trade:
    return Trade(symbol, "bitcoin", trade_id, "1.0", "2.0", 1000 + trade_id, None, False, 0)


pytestmark = pytest.mark.unit


def test_a_batch_closes_when_full_and_holds_one_pair() -> None:
    batcher = Batcher(max_trades=3, max_delay=1.0)
    assert batcher.add(trade("BTCUSDT", 1), 0.0) is None
    assert batcher.add(trade("ETHUSDT", 7), 0.0) is None
    assert batcher.add(trade("BTCUSDT", 2), 0.0) is None
    full = batcher.add(trade("BTCUSDT", 3), 0.0)
    assert full is not None
    assert [t.trade_id for t in full.trades] == [1, 2, 3] and full.symbol == "BTCUSDT"
    assert batcher.pending_min_id("ETHUSDT") == 7
    assert batcher.pending_min_id("BTCUSDT") is None


def test_a_batch_closes_when_its_oldest_trade_waited_long_enough() -> None:
    batcher = Batcher(max_trades=100, max_delay=0.05)
    batcher.add(trade("BTCUSDT", 1), 10.0)
    batcher.add(trade("ETHUSDT", 1), 10.04)
    batcher.add(trade("SOLUSDT", 1), 10.03)
    assert batcher.next_expired(10.02) is None
    first, second = batcher.next_expired(10.1), batcher.next_expired(10.1)
    assert first is not None and second is not None
    assert [first.symbol, second.symbol] == ["BTCUSDT", "SOLUSDT"]  # oldest first
    assert batcher.next_expired(10.05) is None
    assert [b.symbol for b in batcher.drain()] == ["ETHUSDT"]
    assert batcher.drain() == []


def test_nonsense_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        Batcher(max_trades=0)
