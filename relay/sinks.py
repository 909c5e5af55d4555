"""Where published messages go: Pub/Sub in the cloud, a file or nowhere locally.

Every sink has the same interface. ``submit`` waits for room (flow control) and
returns a future that completes when the message is acknowledged by the sink, or
fails; the relay re-submits failed messages, so a sink never drops on its own.

Sink specs (command line):
- ``pubsub:projects/P/topics/T``: Google Pub/Sub (honours PUBSUB_EMULATOR_HOST; on
  the emulator a missing topic is created, in the cloud Terraform creates it).
- ``file:PATH``: one JSON line per message, ``{"data": <body as JSON>, "attributes": {...}}``.
- ``null``: acknowledges at once (benchmarks).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from abc import ABC, abstractmethod
from pathlib import Path

from google.api_core.exceptions import AlreadyExists
from google.cloud import pubsub_v1
from google.cloud.pubsub_v1 import types

from coinpulse import logs
from coinpulse.messages import Attributes

log = logging.getLogger(__name__)

# Publisher batching: the client library's defaults (python-pubsub types.BatchSettings):
# 100 messages, 1 MB, 10 ms per publish request.
PUBLISH_BATCH_MESSAGES = 100
PUBLISH_BATCH_BYTES = 1_000_000
PUBLISH_BATCH_LATENCY = 0.01  # s
DEFAULT_MAX_IN_FLIGHT = 1000  # messages awaiting ack (python-pubsub PublishFlowControl default)


class Sink(ABC):
    name: str

    @abstractmethod
    async def submit(self, body: bytes, attributes: Attributes) -> asyncio.Future[None]:
        """Hand over one message; the future completes when it is acknowledged."""

    async def close(self, timeout: float) -> None:  # noqa: B027 - optional hook
        """Wait up to ``timeout`` for outstanding acknowledgements, then release resources."""


class NullSink(Sink):
    name = "null"

    async def submit(self, body: bytes, attributes: Attributes) -> asyncio.Future[None]:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


class FileSink(Sink):
    """Appends ``{"data": ..., "attributes": ...}`` lines, one per message.

    A message is acknowledged only after its line is flushed to the operating system,
    so a killed relay loses no acknowledged line; ``close`` also fsyncs. A failed write
    (a full disk) fails the acknowledgement, and the relay re-submits the message.
    """

    def __init__(self, path: Path):
        self.name = f"file:{path}"
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("a", encoding="utf-8")

    async def submit(self, body: bytes, attributes: Attributes) -> asyncio.Future[None]:
        line = '{"data":' + body.decode() + ',"attributes":' + json.dumps(attributes) + "}\n"
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        try:
            self._file.write(line)
            self._file.flush()
        except OSError as error:
            done.set_exception(error)
        else:
            done.set_result(None)
        return done

    async def close(self, timeout: float) -> None:
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
        except OSError as error:  # only unacknowledged lines can be missing
            log.error(
                "file sink not closed cleanly", extra=logs.fields(sink=self.name, error=repr(error))
            )


class PubSubSink(Sink):
    """google-cloud-pubsub publisher with batching and asyncio flow control.

    Publish errors the client cannot retry within its own deadline fail the future;
    the relay then re-submits. A missing topic is created only on the emulator.
    """

    def __init__(self, topic: str, max_in_flight: int = DEFAULT_MAX_IN_FLIGHT):
        self.name = f"pubsub:{topic}"
        self.topic = topic
        self._client = pubsub_v1.PublisherClient(
            batch_settings=types.BatchSettings(
                max_messages=PUBLISH_BATCH_MESSAGES,
                max_bytes=PUBLISH_BATCH_BYTES,
                max_latency=PUBLISH_BATCH_LATENCY,
            ),
            publisher_options=types.PublisherOptions(
                flow_control=types.PublishFlowControl(
                    message_limit=max_in_flight * 2,
                    limit_exceeded_behavior=types.LimitExceededBehavior.BLOCK,
                )
            ),
        )
        self._room = asyncio.Semaphore(max_in_flight)
        self._outstanding: set[asyncio.Future[None]] = set()
        if os.environ.get("PUBSUB_EMULATOR_HOST"):
            self._create_topic_on_emulator()

    def _create_topic_on_emulator(self) -> None:
        try:
            self._client.create_topic(name=self.topic)
            log.info("created topic on the emulator", extra=logs.fields(topic=self.topic))
        except AlreadyExists:
            pass

    async def submit(self, body: bytes, attributes: Attributes) -> asyncio.Future[None]:
        await self._room.acquire()
        try:
            future = asyncio.wrap_future(self._client.publish(self.topic, body, **attributes))
        except Exception:
            self._room.release()
            raise
        self._outstanding.add(future)
        future.add_done_callback(self._settled)
        return future

    def _settled(self, future: asyncio.Future[None]) -> None:
        self._outstanding.discard(future)
        self._room.release()

    async def close(self, timeout: float) -> None:
        if self._outstanding:
            await asyncio.wait(self._outstanding, timeout=timeout)
        await asyncio.to_thread(self._client.stop)


def open_sink(spec: str, max_in_flight: int = DEFAULT_MAX_IN_FLIGHT) -> Sink:
    """A sink from its spec. Raises ValueError for an unknown spec."""
    kind, _, target = spec.partition(":")
    if kind == "null" and not target:
        return NullSink()
    if kind == "file" and target:
        return FileSink(Path(target))
    if kind == "pubsub" and target.startswith("projects/") and "/topics/" in target:
        return PubSubSink(target, max_in_flight)
    raise ValueError(f"unknown sink {spec!r}: use pubsub:projects/P/topics/T, file:PATH or null")


def dead_letter_spec(sink_spec: str) -> str:
    """The default dead-letter sink beside a sink: topic T-dead-letter, file PATH.dead-letter."""
    kind, _, target = sink_spec.partition(":")
    if kind == "pubsub":
        return f"pubsub:{target}-dead-letter"
    if kind == "file":
        path = Path(target)
        return f"file:{path.with_name(path.stem + '.dead-letter' + (path.suffix or '.jsonl'))}"
    return sink_spec
