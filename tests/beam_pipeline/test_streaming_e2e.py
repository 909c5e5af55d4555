"""The live lane end to end: replay exchange -> relay -> Pub/Sub emulator -> pipeline.

Every process is the real command (``coinpulse exchange``, ``relay``, ``pipeline``)
against the real gcloud Pub/Sub emulator. The exchange duplicates frames, so the
relay publishes some trades twice; the test also publishes, with the message
contract's own functions, a malformed message, a trade ten minutes late and a
second copy of a batch of the exchange's trades.
It waits until every window of the exchange's trades has an on-time (or later)
pane under the output prefix, then checks each window's best pane against
DuckDB over the exchange's truth file, the dead letter and the late trade.
Bounded: the pipeline flushes at most FLUSH_SECONDS after a window closes.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from google.cloud.pubsub_v1 import PublisherClient, SubscriberClient

from beam_pipeline import sinks
from coinpulse import messages, windows
from coinpulse.trade import Trade, build
from commands import localproc
from reference import windows_sql

pytestmark = pytest.mark.e2e

PROJECT = "coinpulse-local"
TOPIC = f"projects/{PROJECT}/topics/trades"
SUBSCRIPTION = f"projects/{PROJECT}/subscriptions/beam"
PAIRS = "BTCUSDT,ETHUSDT"
TRADES_PER_PAIR = 300  # 15 s of trades at 20 per second
# A window closes at most 60 s after the last trade, then waits at most one
# flush period, plus start-up: well under four minutes.
DEADLINE_SECONDS = 60 + sinks.DEFAULT_FLUSH_SECONDS + 60


def cli(*args: object) -> list[str]:
    return [sys.executable, "-m", "commands.main", *map(str, args)]


@contextmanager
def running(args: list[str], log: Path) -> Iterator[None]:
    process = localproc.spawn(args, log)
    try:
        yield
        assert process.poll() is None, f"{args[3]} exited early; see {log}"
    finally:
        localproc.stop(process, grace=40)


def wait_for(check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(1)
    raise TimeoutError(f"no {what} within {timeout:.0f} s")


def subscription_exists() -> bool:
    try:
        SubscriberClient().get_subscription(subscription=SUBSCRIPTION)
    except Exception:
        return False
    return True


RULE_COLUMNS = ("symbol", "window_start", "trade_count", "emitted_at", "pane_index")


def read_rows(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for path in sorted(folder.rglob("*.jsonl")) for line in path.open()]


def epoch_ms(rfc3339: str) -> int:
    return int(datetime.fromisoformat(rfc3339).timestamp() * 1000)


def best_panes(folder: Path) -> dict[tuple[str, int], dict[str, Any]]:
    """The best row of every (symbol, window) written so far, by the rule of coinpulse.windows."""
    written = read_rows(folder)
    if not written:
        return {}
    ranked = pa.Table.from_pylist(
        [
            {"row": index, **{column: row[column] for column in RULE_COLUMNS}}
            for index, row in enumerate(written)
        ]
    )
    connection = duckdb.connect()
    connection.register("written", ranked)
    picked = connection.execute(f"SELECT row FROM ({windows.best_windows_sql('written')})")
    best = [written[index] for (index,) in picked.fetchall()]
    return {(row["symbol"], epoch_ms(row["window_start"])): row for row in best}


def publish_contract_edge_cases(now: int) -> int:
    """A malformed message and one trade ten minutes late; returns the late trade's id."""
    publisher = PublisherClient()
    malformed = {messages.ATTR_KIND: messages.KIND_TRADES, messages.ATTR_EVENT_TS: str(now)}
    publisher.publish(TOPIC, b"{not json", **malformed).result()
    late_time = now - 600_000
    late = build(
        pair="BTCUSDT", trade_id=7, price="1.00000000", quantity="1.00000000",
        trade_time=late_time, event_time=late_time, is_buyer_maker=False, received_at=now,
        source="rest",
    )  # fmt: skip
    body, attributes = messages.encode_trades([late])
    publisher.publish(TOPIC, body, **attributes).result()
    return late.trade_id


def test_relay_to_windows_through_the_emulator(pubsub_env: str, tmp_path: Path) -> None:
    out, truth = tmp_path / "out", tmp_path / "truth.jsonl"
    port = localproc.free_port()
    PublisherClient().create_topic(name=TOPIC)
    with ExitStack() as stack:
        stack.enter_context(
            running(
                cli("pipeline", "--subscription", "beam", "--topic", "trades", "--project",
                    PROJECT, "--output", out, "--early-firing", 5),
                tmp_path / "pipeline.log",
            )
        )  # fmt: skip
        wait_for(subscription_exists, 60, "subscription")
        stack.enter_context(
            running(
                cli("exchange", "--port", port, "--symbols", PAIRS, "--rate", 20, "--seed", 5,
                    "--max-trades", TRADES_PER_PAIR, "--truth-file", truth, "--faults",
                    "duplicate"),
                tmp_path / "exchange.log",
            )
        )  # fmt: skip
        stack.enter_context(
            running(
                cli("relay", "--symbols", PAIRS, "--ws-url", f"ws://127.0.0.1:{port}",
                    "--rest-url", f"http://127.0.0.1:{port}", "--sink", f"pubsub:{TOPIC}",
                    "--dead-letter-sink", f"file:{tmp_path / 'relay-dead.jsonl'}",
                    "--checkpoint", "none", "--heartbeat-seconds", 1),
                tmp_path / "relay.log",
            )
        )  # fmt: skip
        late_id = publish_contract_edge_cases(int(time.time() * 1000))

        def all_generated() -> list[dict[str, Any]]:
            records = [json.loads(line) for line in truth.open()] if truth.exists() else []
            return records if len(records) == 2 * TRADES_PER_PAIR else []

        generated = wait_for(all_generated, 120, "trades")
        expected = windows_sql.windows_from_records(generated)
        copies = [Trade.from_record(r) for r in generated if r["symbol"] == "BTCUSDT"][:5]
        body, attributes = messages.encode_trades(copies)  # a batch published twice
        PublisherClient().publish(TOPIC, body, **attributes).result()
        copied = ("BTCUSDT", copies[0].trade_time - copies[0].trade_time % 60_000)

        def complete() -> dict[tuple[str, int], dict[str, Any]]:
            best = best_panes(out / "stream_prices")
            done = set(expected) <= set(best) and all(
                best[key]["pane_timing"] != "EARLY"
                and best[key]["trade_count"] == expected[key]["trade_count"]
                for key in expected
            )
            return best if done and best[copied]["duplicates_dropped"] >= len(copies) else {}

        best = wait_for(complete, DEADLINE_SECONDS, "complete windows")
        late = wait_for(lambda: read_rows(out / "late_trades"), 2, "late trades")
        dead = wait_for(lambda: read_rows(out / "dead_letters"), 2, "dead letters")

    for key, window in expected.items():
        assert windows_sql.mismatches(best[key], window) == [], key
    assert [row["trade_id"] for row in late] == [late_id]
    assert [(row["stage"], row["raw"]) for row in dead] == [("pipeline.pubsub", "{not json")]
    assert dead[0]["reason"].startswith("invalid JSON")
