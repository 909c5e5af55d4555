# mypy: disable-error-code="no-untyped-call"
# (Apache Beam's API carries no type annotations.)
"""Throughput of both paths on this machine, next to DuckDB as the reference.

- Backfill: a generated day of trades for five pairs, written as 2025-style
  archive CSVs (microsecond times), through ``coinpulse backfill``'s pipeline on
  the FnApiRunner; the same windows computed by DuckDB from the same files; the
  ratio of the two times, and a check that every window matches.
- Streaming: a backlog of trade messages (BATCH_TRADES trades each, like the
  relay's batches) in the real Pub/Sub emulator, drained by the streaming
  transforms (Pub/Sub read, lateness gate, windows with early panes every
  STREAMING_EARLY_FIRING_SECONDS) on the BundleBasedDirectRunner; the rate at
  which trades reach the window combine is what the local path keeps up with.

Sizes keep a run to a few minutes on two cores. ``run()`` returns result lines.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import apache_beam as beam
from google.cloud.pubsub_v1 import PublisherClient, SubscriberClient

from beam_pipeline import backfill, options, rows
from beam_pipeline.lateness import SetAsideLateTrades
from beam_pipeline.sources.pubsub import ReadTradeMessages
from beam_pipeline.streaming import DEFAULT_ALLOWED_LATENESS_SECONDS
from beam_pipeline.windowing import ComputeWindows
from coinpulse import messages, symbols
from coinpulse.trade import build
from commands import localproc
from reference import windows_sql

BACKFILL_TRADES_PER_PAIR = 200_000  # a day of 2.3 trades/s per pair, 1,000,000 in all
BENCH_DAY = "2025-06-01"
STREAMING_TRADES = 150_000
BATCH_TRADES = 100  # trades per Pub/Sub message, the relay's default batch
STREAMING_EARLY_FIRING_SECONDS = 2  # ten times the default: a conservative figure
STREAMING_TIMEOUT_SECONDS = 240
HEARTBEAT_SECONDS = 0.2
START_PRICES = {"BTCUSDT": 97000.0, "ETHUSDT": 3600.0, "SOLUSDT": 180.0, "BNBUSDT": 650.0}


def _random_walk(pair: str, count: int, rng: random.Random) -> Iterator[tuple[str, str]]:
    """(price, quantity) strings with 8 decimals, a small random walk per pair."""
    price = START_PRICES.get(pair, 1.0)
    for _ in range(count):
        price = max(price * (1 + rng.gauss(0, 0.0002)), 1e-6)
        yield f"{price:.8f}", f"{rng.uniform(0.0001, 3):.8f}"


def generate_archive_day(folder: Path, trades_per_pair: int, seed: int = 7) -> list[Path]:
    """One archive CSV per default pair: a day of trades, µs times, no header."""
    rng = random.Random(seed)
    day_start = int(datetime.fromisoformat(BENCH_DAY).replace(tzinfo=UTC).timestamp()) * 10**6
    step = 86_400 * 10**6 // trades_per_pair
    paths = []
    for pair in symbols.DEFAULT_PAIRS:
        path = folder / f"{pair}-trades-{BENCH_DAY}.csv"
        with path.open("w") as handle:
            for i, (price, quantity) in enumerate(_random_walk(pair, trades_per_pair, rng)):
                micros = day_start + i * step + rng.randrange(step)
                notional = f"{float(price) * float(quantity):.8f}"
                maker = "True" if rng.random() < 0.5 else "False"
                handle.write(f"{i + 1},{price},{quantity},{notional},{micros},{maker},True\n")
        paths.append(path)
    return paths


def bench_backfill(folder: Path, per_pair: int) -> list[str]:
    paths = generate_archive_day(folder, per_pair)
    output = folder / "out"
    started = time.perf_counter()
    pipeline = beam.Pipeline(
        options=options.pipeline_options([], default_runner=options.BATCH_RUNNER, streaming=False)
    )
    backfill.build(pipeline, [str(p) for p in paths], str(output))
    pipeline.run().wait_until_finish()
    beam_seconds = time.perf_counter() - started
    started = time.perf_counter()
    expected = windows_sql.windows_from_archives([str(p) for p in paths])
    duckdb_seconds = time.perf_counter() - started
    written = [
        json.loads(line) for f in output.glob("stream_prices/*/*.jsonl") for line in f.open()
    ]
    wrong = sum(
        1
        for row in written
        if windows_sql.mismatches(row, expected[row["symbol"], _ms(row["window_start"])])
    )
    trades = per_pair * len(paths)
    return [
        f"backfill: {trades:,} trades ({len(paths)} pairs, one day) in {beam_seconds:.1f} s "
        f"= {trades / beam_seconds:,.0f} trades/s (FnApiRunner)",
        f"backfill reference: DuckDB computes the same windows in {duckdb_seconds:.2f} s "
        f"= {trades / duckdb_seconds:,.0f} trades/s; "
        f"Beam/DuckDB time ratio {beam_seconds / duckdb_seconds:.1f}",
        f"backfill check: {len(written):,} windows written, {len(expected):,} in DuckDB, "
        f"{wrong} differ",
    ]


def _ms(rfc3339: str) -> int:
    return int(datetime.fromisoformat(rfc3339).timestamp() * 1000)


# (symbol, window_start) -> trade_count of the latest pane seen. The DirectRunner's
# streaming metrics stop updating after the first bundle, so the bench observes
# panes in-process: the DirectRunner runs every DoFn in this process.
_LATEST_COUNTS: dict[tuple[str, str], int] = {}


class ObserveWindows(beam.DoFn):
    """Records each window's latest trade_count, to see the combine keep up."""

    def process(self, row: rows.Row) -> Iterator[None]:
        key = (row["symbol"], row["window_start"])
        _LATEST_COUNTS[key] = max(_LATEST_COUNTS.get(key, 0), row["trade_count"])
        yield from ()


def _publish_backlog(publisher: PublisherClient, topic: str, trades: int) -> int:
    """Publish ``trades`` trades over the last 90 s in BATCH_TRADES-trade messages."""
    rng = random.Random(11)
    now = rows.now_ms()
    futures = []
    per_pair = trades // len(symbols.DEFAULT_PAIRS)
    for pair in symbols.DEFAULT_PAIRS:
        prices = _random_walk(pair, per_pair, rng)
        for first in range(0, per_pair, BATCH_TRADES):
            batch = [
                build(
                    pair=pair,
                    trade_id=first + i,
                    price=price,
                    quantity=quantity,
                    trade_time=now - 90_000 + (first + i) * 90_000 // per_pair,
                    event_time=now,
                    is_buyer_maker=i % 2 == 0,
                    received_at=now,
                    source="ws",
                )
                for i, (price, quantity) in enumerate(next(prices) for _ in range(BATCH_TRADES))
            ]
            body, attributes = messages.encode_trades(batch)
            futures.append(publisher.publish(topic, body, **attributes))
    for future in futures:
        future.result()
    return per_pair * len(symbols.DEFAULT_PAIRS)


def _heartbeats(publisher: PublisherClient, topic: str, stop: threading.Event) -> None:
    """What the relay does: the DirectRunner's single worker blocks on an empty pull."""
    while not stop.wait(HEARTBEAT_SECONDS):
        body, attributes = messages.encode_heartbeat(rows.now_ms())
        publisher.publish(topic, body, **attributes)


def streaming_pipeline(subscription: str) -> beam.Pipeline:
    """The streaming transforms up to the window rows, observed by ObserveWindows."""
    pipeline = beam.Pipeline(
        options=options.pipeline_options(
            [], default_runner=options.STREAMING_RUNNER, streaming=True
        )
    )
    chunks, _ = pipeline | ReadTradeMessages(subscription, with_id_label=False)
    in_time, _ = chunks | SetAsideLateTrades(
        DEFAULT_ALLOWED_LATENESS_SECONDS, watermark_is_wall_clock=True
    )
    windows = in_time | ComputeWindows(
        streaming=True,
        early_firing_seconds=STREAMING_EARLY_FIRING_SECONDS,
        allowed_lateness_seconds=DEFAULT_ALLOWED_LATENESS_SECONDS,
    )
    windows | beam.ParDo(ObserveWindows())
    return pipeline


def bench_streaming(folder: Path, trades: int) -> list[str]:
    topic = "projects/coinpulse-bench/topics/trades"
    subscription = "projects/coinpulse-bench/subscriptions/beam"
    with localproc.pubsub_emulator(log_path=folder / "pubsub.log") as host:
        os.environ["PUBSUB_EMULATOR_HOST"] = host
        publisher = PublisherClient()
        publisher.create_topic(name=topic)
        SubscriberClient().create_subscription(name=subscription, topic=topic)
        total = _publish_backlog(publisher, topic, trades)
        stop = threading.Event()
        threading.Thread(target=_heartbeats, args=(publisher, topic, stop), daemon=True).start()
        _LATEST_COUNTS.clear()
        result = streaming_pipeline(subscription).run()
        started = time.perf_counter()
        seen = 0
        while seen < total and time.perf_counter() - started < STREAMING_TIMEOUT_SECONDS:
            time.sleep(0.2)
            seen = sum(_LATEST_COUNTS.values())
        elapsed = time.perf_counter() - started
        stop.set()
        result.cancel()
        os.environ.pop("PUBSUB_EMULATOR_HOST")
    return [
        f"streaming: {seen:,} of {total:,} trades through the window combine in {elapsed:.1f} s "
        f"= {seen / elapsed:,.0f} trades/s sustained (BundleBasedDirectRunner reading the "
        f"Pub/Sub emulator, {BATCH_TRADES} trades per message, early panes every "
        f"{STREAMING_EARLY_FIRING_SECONDS} s)"
    ]


def run(quick: bool) -> list[str]:
    """Run both benchmarks (a tenth of the data when quick); human-readable result lines."""
    scale = 10 if quick else 1
    with tempfile.TemporaryDirectory(prefix="coinpulse-bench-") as folder:
        return bench_backfill(Path(folder), BACKFILL_TRADES_PER_PAIR // scale) + bench_streaming(
            Path(folder), STREAMING_TRADES // scale
        )
