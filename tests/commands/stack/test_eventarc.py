"""The Eventarc stand-in: fake-gcs-server's notifications -> finalize CloudEvents, at least once.

fake-gcs-server publishes each finalized object to the Pub/Sub emulator; the stand-in
runs as the stack runs it (``python -m commands.stack.eventarc``) and POSTs to a
receiver that records what Eventarc would have delivered.
"""

import json
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple

import google.cloud.storage as gcs
import pytest
from google.cloud import pubsub_v1

from commands import localproc

pytestmark = pytest.mark.integration

BUCKET = "lake"
TOPIC = "projects/local/topics/lake-notifications"
SUBSCRIPTION = "projects/local/subscriptions/loader-trigger"


class Receiver:
    """An HTTP server recording CloudEvents; answers ``failures`` 500s first."""

    def __init__(self) -> None:
        self.events: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.failures = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                failed = receiver.failures > 0
                receiver.failures -= 1 if failed else 0
                if not failed:
                    receiver.events.append((dict(self.headers.items()), body))
                self.send_response(500 if failed else 204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def names(self) -> list[str]:
        return [body["name"] for _, body in self.events]


class Trigger(NamedTuple):
    topic: str
    subscription: str


@pytest.fixture
def trigger(tmp_path: Path, pubsub_env: str) -> Trigger:
    """A fresh notifications topic and the trigger's subscription to it."""
    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    suffix = tmp_path.name.replace("_", "-")[-40:]
    topic, subscription = f"{TOPIC}-{suffix}", f"{SUBSCRIPTION}-{suffix}"
    publisher.create_topic(name=topic)
    subscriber.create_subscription(name=subscription, topic=topic)
    return Trigger(topic, subscription)


@pytest.fixture
def client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, trigger: Trigger
) -> Iterator[gcs.Client]:
    """The lake bucket on fake-gcs-server, publishing its notifications to the topic."""
    emulator = localproc.gcs_emulator(
        bucket=BUCKET, log_path=tmp_path / "gcs.log", notifications=trigger.topic
    )
    with emulator as host:
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", host)
        yield gcs.Client.create_anonymous_client()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.server.shutdown()


@pytest.fixture
def eventarc(
    client: gcs.Client, trigger: Trigger, receiver: Receiver, tmp_path: Path
) -> Iterator[None]:
    command = [sys.executable, "-m", "commands.stack.eventarc"]
    command += ["--subscription", trigger.subscription]
    process = localproc.spawn([*command, "--target", receiver.url], tmp_path / "eventarc.log")
    yield
    localproc.stop(process)


def wait_for(receiver: Receiver, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(receiver.events) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(receiver.events) >= count, receiver.names()


def test_each_generation_is_announced_as_eventarc_would(
    client: gcs.Client, receiver: Receiver, eventarc: None
) -> None:
    blob = client.bucket(BUCKET).blob("stream_prices/dt=2026-05-18/a.jsonl")
    blob.upload_from_string(b'{"a": 1}\n')
    wait_for(receiver, 1)
    [(headers, body)] = receiver.events
    generation = str(blob.generation)
    assert headers["ce-specversion"] == "1.0" and headers["ce-id"]
    assert headers["ce-type"] == "google.cloud.storage.object.v1.finalized"
    assert headers["ce-source"] == f"//storage.googleapis.com/projects/_/buckets/{BUCKET}"
    assert headers["ce-subject"] == f"objects/{blob.name}"
    assert headers["ce-time"].endswith("Z") and headers["Content-Type"] == "application/json"
    assert body["bucket"] == BUCKET and body["name"] == blob.name
    assert body["generation"] == generation and body["size"] == "9"  # int64 as strings

    blob.upload_from_string(b'{"a": 2}\n')  # a rewrite is a new generation, a new event
    client.bucket(BUCKET).blob("coingecko/x.parquet").upload_from_string(b"PAR1")
    wait_for(receiver, 3)
    time.sleep(1)  # nothing else arrives: each generation once (unless Pub/Sub redelivers)
    assert sorted(receiver.names()) == sorted([blob.name, blob.name, "coingecko/x.parquet"])
    generations = {body["generation"] for _, body in receiver.events if body["name"] == blob.name}
    assert len(generations) == 2


def test_a_refused_event_is_retried_while_others_flow(
    client: gcs.Client, receiver: Receiver, eventarc: None
) -> None:
    receiver.failures = 2
    bucket = client.bucket(BUCKET)
    bucket.blob("a.jsonl").upload_from_string(b"{}\n")
    time.sleep(0.5)
    bucket.blob("b.jsonl").upload_from_string(b"{}\n")
    wait_for(receiver, 2)
    assert receiver.failures == 0 and sorted(receiver.names()) == ["a.jsonl", "b.jsonl"]
