"""The relay as its users run it: the ``coinpulse relay`` command in its own process.

Exactly the documented interface: ``--ws-url``/``--rest-url`` base URLs, a file sink
and a Pub/Sub sink on the real emulator; /healthz and /stats answer on --port;
SIGTERM flushes and exits 0.
"""

import json
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from google.cloud import pubsub_v1

from commands import localproc

pytestmark = pytest.mark.integration


@pytest.fixture
def exchange(tmp_path: Path) -> Iterator[str]:
    port = localproc.free_port()
    process = localproc.spawn(
        [
            sys.executable,
            "-m",
            "commands.main",
            "exchange",
            "--port",
            str(port),
            "--symbols",
            "BTCUSDT,ETHUSDT",
            "--rate",
            "50",
            "--seed",
            "3",
        ],
        tmp_path / "exchange.log",
    )
    localproc.wait_until(f"http://127.0.0.1:{port}/api/v3/ping", process, timeout=30)
    yield f"127.0.0.1:{port}"
    localproc.stop(process)


def start_relay(
    exchange: str, sink: str, port: int, tmp_path: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    return localproc.spawn(
        [
            sys.executable,
            "-m",
            "commands.main",
            "relay",
            "--symbols",
            "BTCUSDT,ETHUSDT",
            "--ws-url",
            f"ws://{exchange}",
            "--rest-url",
            f"http://{exchange}",
            "--sink",
            sink,
            "--port",
            str(port),
            "--checkpoint",
            str(tmp_path / "checkpoint.json"),
        ],
        tmp_path / "relay.log",
    )


def get_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=5) as response:
        result: dict[str, Any] = json.load(response)
        return result


def eventually(check: Callable[[], object], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except Exception:
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.2)


def test_file_sink_health_stats_and_clean_sigterm(exchange: str, tmp_path: Path) -> None:
    out = tmp_path / "trades.jsonl"
    port = localproc.free_port()
    relay = start_relay(exchange, f"file:{out}", port, tmp_path)
    localproc.wait_until(f"http://127.0.0.1:{port}/healthz", relay, timeout=30)
    # Both pairs traded and were published (a bursty market can leave one quiet a while).
    eventually(
        lambda: (
            all(
                pair["last_trade_id"]
                for pair in get_json(f"http://127.0.0.1:{port}/stats")["pairs"].values()
            )
            and get_json(f"http://127.0.0.1:{port}/stats")["trades_published"] > 0
        )
    )
    stats = get_json(f"http://127.0.0.1:{port}/stats")
    assert get_json(f"http://127.0.0.1:{port}/healthz") == {"status": "ok"}
    relay.send_signal(signal.SIGTERM)
    assert relay.wait(timeout=15) == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    records = [record for line in lines for record in line["data"]]
    assert len(records) >= stats["trades_published"]
    assert all({"symbol", "trade_id"} <= record.keys() for record in records)
    assert {line["attributes"]["kind"] for line in lines} <= {"trades", "heartbeat"}
    assert set(json.loads((tmp_path / "checkpoint.json").read_text())["positions"]) == {
        "BTCUSDT",
        "ETHUSDT",
    }
    log = [
        json.loads(line)
        for line in (tmp_path / "relay.log").read_text().splitlines()
        if line.startswith("{")
    ]
    assert any(entry["message"] == "relay stopped" and entry["severity"] == "INFO" for entry in log)


def test_pubsub_sink_on_the_emulator(exchange: str, pubsub_env: str, tmp_path: Path) -> None:
    topic = "projects/coinpulse-cli/topics/trades"
    port = localproc.free_port()
    relay = start_relay(
        exchange, f"pubsub:{topic}", port, tmp_path
    )  # inherits PUBSUB_EMULATOR_HOST
    localproc.wait_until(f"http://127.0.0.1:{port}/healthz", relay, timeout=30)
    subscriber = pubsub_v1.SubscriberClient()
    subscription = "projects/coinpulse-cli/subscriptions/check"
    try:
        # The relay creates its topic on the emulator at start; subscribe once it exists.
        eventually(lambda: subscriber.create_subscription(name=subscription, topic=topic))
        response = subscriber.pull(subscription=subscription, max_messages=50, timeout=30)
    finally:
        relay.send_signal(signal.SIGTERM)
        assert relay.wait(timeout=15) == 0
    trades = [
        m.message for m in response.received_messages if m.message.attributes["kind"] == "trades"
    ]
    assert trades
    for message in trades:
        records = json.loads(message.data)
        assert int(message.attributes["event_ts"]) == min(r["trade_time"] for r in records)
        assert message.attributes["symbol"] == records[0]["symbol"]
        assert message.attributes["count"] == str(len(records))
        assert message.attributes["dedupe_id"].startswith(
            f"{records[0]['symbol']}-{records[0]['trade_id']}-"
        )
