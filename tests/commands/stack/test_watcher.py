"""The watcher: object generations in the GCS emulator -> finalize CloudEvents, at least once."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import google.cloud.storage as gcs
import pytest

from commands import localproc
from commands.stack.watcher import Watcher

pytestmark = pytest.mark.integration

BUCKET = "lake"


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


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[gcs.Client]:
    with localproc.gcs_emulator(bucket=BUCKET, log_path=tmp_path / "gcs.log") as host:
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", host)
        yield gcs.Client.create_anonymous_client()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.server.shutdown()


def test_each_generation_is_announced_once_as_eventarc_would(
    client: gcs.Client, receiver: Receiver, tmp_path: Path
) -> None:
    state = tmp_path / "delivered.txt"
    blob = client.bucket(BUCKET).blob("stream_prices/dt=2026-05-18/a.jsonl")
    blob.upload_from_string(b'{"a": 1}\n')
    watcher = Watcher(client, BUCKET, receiver.url, state)
    assert watcher.poll_once(0) == 1 and watcher.poll_once(1) == 0
    [(headers, body)] = receiver.events
    generation = str(blob.generation)
    assert headers["ce-id"] == f"{BUCKET}/{blob.name}/{generation}"
    assert headers["ce-specversion"] == "1.0"
    assert headers["ce-type"] == "google.cloud.storage.object.v1.finalized"
    assert headers["ce-source"] == f"//storage.googleapis.com/projects/_/buckets/{BUCKET}"
    assert headers["ce-subject"] == f"objects/{blob.name}"
    assert headers["ce-time"].endswith("Z") and headers["Content-Type"] == "application/json"
    assert body["bucket"] == BUCKET and body["name"] == blob.name
    assert body["generation"] == generation and body["size"] == "9"  # int64 as strings
    assert body["updated"] == headers["ce-time"]

    blob.upload_from_string(b'{"a": 2}\n')  # a rewrite is a new generation, a new event
    client.bucket(BUCKET).blob("coingecko/x.parquet").upload_from_string(b"PAR1")
    restarted = Watcher(client, BUCKET, receiver.url, state)
    assert restarted.poll_once(0) == 2
    assert receiver.names() == [blob.name, blob.name, "coingecko/x.parquet"]
    assert len(state.read_text().splitlines()) == 3


def test_a_refused_event_is_retried_with_backoff_while_others_flow(
    client: gcs.Client, receiver: Receiver, tmp_path: Path
) -> None:
    bucket = client.bucket(BUCKET)
    bucket.blob("a.jsonl").upload_from_string(b"{}\n")
    receiver.failures = 1
    watcher = Watcher(client, BUCKET, receiver.url, tmp_path / "delivered.txt")
    assert watcher.poll_once(100.0) == 0
    bucket.blob("b.jsonl").upload_from_string(b"{}\n")
    assert watcher.poll_once(100.5) == 1  # a.jsonl waits for its backoff, b.jsonl flows
    assert watcher.poll_once(101.5) == 1
    assert receiver.names() == ["b.jsonl", "a.jsonl"]

    down = Watcher(client, BUCKET, f"http://127.0.0.1:{localproc.free_port()}/", tmp_path / "x")
    assert down.poll_once(0) == 0 and len(down.retries) == 2  # connection refused: retried
