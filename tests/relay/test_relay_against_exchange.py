"""The relay against the replay exchange with every fault on: nothing is lost.

The exchange drops connections, announces serverShutdown, duplicates, reorders and
corrupts frames and answers REST with 429s. The relay must deliver every generated
trade at least once, duplicates only as exact copies, dead-letter the bad frames,
and keep running until it is told to stop.
"""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from relay.checkpoint import open_checkpoint
from relay.service import Relay, RelaySettings
from relay.sinks import open_sink
from standins.exchange import ALL_FAULTS, ExchangeConfig, ReplayExchange

pytestmark = pytest.mark.integration

PAIRS = ["BTCUSDT", "ETHUSDT"]
TRADE_KEYS = ("symbol", "trade_id", "price", "quantity", "trade_time", "is_buyer_maker")


def published(path: Path) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    if path.exists():
        for line in path.read_text().splitlines():
            records.extend(json.loads(line)["data"])
    return records


def truth_keys(exchange: ReplayExchange) -> dict[tuple[str, int], tuple[Any, ...]]:
    return {
        (record["symbol"], record["trade_id"]): tuple(record[key] for key in TRADE_KEYS)
        for pair in PAIRS
        for record in exchange.truth(pair)
    }


@asynccontextmanager
async def running_relay(
    exchange: ReplayExchange, sink: Path, checkpoint: str, **overrides: Any
) -> AsyncIterator[Relay]:
    settings = RelaySettings(
        pairs=PAIRS, ws_url=exchange.ws_url, rest_url=exchange.rest_url, gap_grace=0.5, **overrides
    )
    relay = Relay(
        settings,
        open_sink(f"file:{sink}"),
        open_sink(f"file:{sink}.dead"),
        open_checkpoint(checkpoint),
    )
    task = asyncio.create_task(relay.run())
    try:
        yield relay
        assert not task.done(), "the relay exited before it was told to stop"
    finally:
        relay.stop()
        await asyncio.wait_for(task, 30)


async def wait_for_delivery(
    exchange: ReplayExchange, sink: Path, relay: Relay, timeout: float
) -> set[tuple[str, int]]:
    """Wait until every generated trade is in the sink; returns what is still missing."""
    deadline = asyncio.get_running_loop().time() + timeout
    missing: set[tuple[str, int]] = set()
    while asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.5)
        delivered = {(r["symbol"], r["trade_id"]) for r in published(sink)}
        missing = set(truth_keys(exchange)) - delivered
        if exchange.exhausted and not missing:
            return missing
    return missing


def assert_exact_copies(exchange: ReplayExchange, records: list[dict[str, Any]]) -> None:
    truth = truth_keys(exchange)
    for record in records:
        key = (record["symbol"], record["trade_id"])
        assert tuple(record[k] for k in TRADE_KEYS) == truth[key], key


async def test_every_trade_arrives_with_every_fault_on(tmp_path: Path) -> None:
    config = ExchangeConfig(pairs=PAIRS, seed=11, rate=40.0, max_trades=800, faults=ALL_FAULTS)
    sink = tmp_path / "trades.jsonl"
    async with (
        ReplayExchange(config) as exchange,
        running_relay(exchange, sink, "none") as relay,
    ):
        missing = await wait_for_delivery(exchange, sink, relay, timeout=90)
        assert missing == set()
        stats = relay.stats
    records = published(sink)
    assert_exact_copies(exchange, records)
    assert len(records) >= 2 * 800
    assert stats.reconnects >= 1 and stats.server_shutdowns >= 1 and stats.rotations >= 1
    assert stats.gaps_found >= 1 and stats.rest_throttled >= 1
    assert stats.duplicates_received >= 1
    dead = [json.loads(line)["data"] for line in Path(f"{sink}.dead").read_text().splitlines()]
    assert dead and sum(stats.dead_letters.values()) == len(dead)
    assert all(letter["reason"] and letter["raw"] and letter["stage"] == "relay" for letter in dead)


async def test_rotation_opens_the_new_connection_before_closing_the_old(tmp_path: Path) -> None:
    config = ExchangeConfig(pairs=PAIRS, seed=13, rate=100.0, max_trades=600, bursts=False)
    sink = tmp_path / "trades.jsonl"
    async with (
        ReplayExchange(config) as exchange,
        running_relay(exchange, sink, "none", rotate_after=1.5) as relay,
    ):
        missing = await wait_for_delivery(exchange, sink, relay, timeout=60)
        assert missing == set()
        assert relay.stats.rotations >= 2
        assert relay.stats.reconnects == 0 and relay.stats.gaps_found == 0
    assert_exact_copies(exchange, published(sink))


async def test_server_pings_are_answered_so_the_connection_stays(tmp_path: Path) -> None:
    config = ExchangeConfig(pairs=PAIRS, seed=14, rate=20.0, ping_interval=0.2, pong_timeout=0.5)
    sink = tmp_path / "trades.jsonl"
    async with (
        ReplayExchange(config) as exchange,
        running_relay(exchange, sink, "none") as relay,
    ):
        await asyncio.sleep(3.0)  # 15 pings, each to be answered within 0.5 s
        assert relay.stats.reconnects == 0 and exchange.connections == 1
        assert relay.stats.trades_received > 0


async def test_a_restart_backfills_what_it_missed_from_the_checkpoint(tmp_path: Path) -> None:
    config = ExchangeConfig(pairs=PAIRS, seed=12, rate=60.0, max_trades=600)
    sink = tmp_path / "trades.jsonl"
    checkpoint = str(tmp_path / "checkpoint.json")
    async with ReplayExchange(config) as exchange:
        async with running_relay(exchange, sink, checkpoint):
            await exchange.wait_for_trades(100)
        saved = json.loads(Path(checkpoint).read_text())["positions"]
        assert set(saved) == set(PAIRS)
        await exchange.wait_for_trades(300)  # the relay is down meanwhile
        async with running_relay(exchange, sink, checkpoint) as relay:
            missing = await wait_for_delivery(exchange, sink, relay, timeout=60)
            assert missing == set()
            assert relay.stats.trades_backfilled > 0
    assert_exact_copies(exchange, published(sink))
