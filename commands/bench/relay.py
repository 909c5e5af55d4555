"""Relay benchmarks: throughput into a null sink and into the Pub/Sub emulator, and lag.

The replay exchange runs in its own process (its own core on a 2-core machine), the
relay in this one. Throughput is reported two ways: trades per wall-clock second
(bounded by whichever side is slower) and trades per CPU-second of the relay process
(its capacity on one core). Lag is per trade, from the frame's receipt to the
sink's acknowledgement, so it includes batching (up to the batch delay) and, for
Pub/Sub, the client's own batching and the emulator's round trip.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass

from coinpulse import symbols
from commands import localproc
from relay.batching import DEFAULT_MAX_TRADES
from relay.checkpoint import NoCheckpoint
from relay.service import Relay, RelaySettings
from relay.sinks import NullSink, PubSubSink, Sink

PAIRS = list(symbols.DEFAULT_PAIRS)
TOPIC = "projects/coinpulse-bench/topics/trades"
MAX_SECONDS = 120.0  # a scenario that has not finished by then reports what it got


@dataclass
class Result:
    trades: int
    wall_s: float
    cpu_s: float
    p50_ms: float | None
    p99_ms: float | None

    def line(self, label: str) -> str:
        lag = (
            f"lag p50 {self.p50_ms:.1f} ms, p99 {self.p99_ms:.1f} ms" if self.p50_ms else "lag n/a"
        )
        wall_rate = self.trades / self.wall_s
        cpu_rate = self.trades / max(self.cpu_s, 1e-9)
        return (
            f"{label}: {self.trades:,} trades in {self.wall_s:.2f} s = {wall_rate:,.0f} trades/s "
            f"wall; relay CPU {self.cpu_s:.2f} s = {cpu_rate:,.0f} trades per CPU-second; {lag}"
        )


def start_exchange(stack: ExitStack, rate: float, max_trades: int) -> str:
    port = localproc.free_port()
    process = localproc.spawn(
        [
            sys.executable,
            "-m",
            "commands.main",
            "--log-level",
            "WARNING",
            "exchange",
            "--port",
            str(port),
            "--symbols",
            ",".join(PAIRS),
            "--seed",
            "1",
            "--rate",
            str(rate),
            "--max-trades",
            str(max_trades),
        ]
    )
    stack.callback(localproc.stop, process)
    localproc.wait_until(f"http://127.0.0.1:{port}/api/v3/ping", process, timeout=30)
    return f"127.0.0.1:{port}"


async def measure(address: str, sink: Sink, expected: int, batch_trades: int) -> Result:
    settings = RelaySettings(
        pairs=PAIRS,
        ws_url=f"ws://{address}",
        rest_url=f"http://{address}",
        batch_max_trades=batch_trades,
        heartbeat_every=0,
    )
    relay = Relay(settings, sink, NullSink(), NoCheckpoint())
    task = asyncio.create_task(relay.run())
    while relay.stats.trades_received == 0:
        await asyncio.sleep(0.001)
    wall, cpu = time.perf_counter(), time.process_time()
    deadline = time.monotonic() + MAX_SECONDS
    while relay.stats.trades_published < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    result = Result(
        relay.stats.trades_published,
        time.perf_counter() - wall,
        time.process_time() - cpu,
        None,
        None,
    )
    snapshot = relay.stats.snapshot()["publish_lag_ms"]
    result.p50_ms, result.p99_ms = snapshot["p50"], snapshot["p99"]
    relay.stop()
    await task
    return result


def scenario(
    label: str, rate: float, per_pair: int, pubsub: bool, batch_trades: int = DEFAULT_MAX_TRADES
) -> str:
    with ExitStack() as stack:
        address = start_exchange(stack, rate, per_pair)
        sink: Sink = NullSink()
        if pubsub:
            os.environ["PUBSUB_EMULATOR_HOST"] = stack.enter_context(localproc.pubsub_emulator())
            stack.callback(os.environ.pop, "PUBSUB_EMULATOR_HOST", None)
            sink = PubSubSink(TOPIC)
        # The exchange opens its market when the relay subscribes: every trade counts.
        result = asyncio.run(measure(address, sink, per_pair * len(PAIRS), batch_trades))
        return result.line(label)


def run(quick: bool) -> list[str]:
    scale = 0.25 if quick else 1.0
    return [
        "target: >= 20,000 trades/s into the null sink on one core",
        scenario(
            "null sink, exchange offering 50,000 trades/s",
            10_000,
            int(60_000 * scale),
            pubsub=False,
        ),
        scenario(
            "Pub/Sub emulator, exchange offering 10,000 trades/s",
            2_000,
            int(20_000 * scale),
            pubsub=True,
        ),
        scenario(
            "Pub/Sub emulator, one trade per message (the unbatched design)",
            2_000,
            int(4_000 * scale),
            pubsub=True,
            batch_trades=1,
        ),
        scenario(
            "Pub/Sub emulator, steady 500 trades/s (lag at a live-like rate)",
            100,
            int(3_000 * scale),
            pubsub=True,
        ),
    ]
