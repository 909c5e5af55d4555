"""The WebSocket side: Binance's combined and raw trade streams, fanned out cheaply.

``GET /stream?streams=btcusdt@trade/ethusdt@trade`` sends every trade wrapped as
``{"stream":...,"data":...}``; ``GET /ws/btcusdt@trade`` sends bare payloads. The
market clock hands the hub each tick's payloads per pair; the hub runs them through
the pair's stream faults, encodes each frame once and writes, per connection, one
joined buffer straight to its transport: no per-trade await, no per-subscriber
serialization. Streams other than configured ``<pair>@trade`` streams are accepted
and stay silent, as Binance does for a symbol without trades.

The hub also keeps the connection rules of web-socket-streams.md: a ping every
``ping_interval`` seconds carrying a fresh payload, and a close for a client whose
oldest unanswered ping is older than ``pong_timeout`` (only a pong echoing a ping's
payload counts). A client that lets more than SLOW_CLIENT_BYTES pile up unread is
dropped rather than buffered without bound.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
from collections import deque
from dataclasses import dataclass, field

from aiohttp import WSCloseCode, WSMsgType, web

from coinpulse import logs
from standins.exchange import wire
from standins.exchange.faults import ConnectionFaults, FaultConfig, StreamFaults

log = logging.getLogger(__name__)

MAX_STREAMS = 1024  # streams per connection (web-socket-streams.md)
SLOW_CLIENT_BYTES = 64 * 1024 * 1024  # unsent bytes after which a client is dropped
STREAM_SUFFIX = "@trade"


class BadStreams(ValueError):
    """A stream list the exchange refuses (HTTP 400)."""


def parse_streams(text: str) -> list[str]:
    """'btcusdt@trade/ethusdt@trade' -> stream names. Raises BadStreams."""
    streams = [stream for stream in text.split("/") if stream]
    if not streams:
        raise BadStreams("no streams given: use /stream?streams=btcusdt@trade/ethusdt@trade")
    if len(streams) > MAX_STREAMS:
        raise BadStreams(f"{len(streams)} streams; at most {MAX_STREAMS} per connection")
    return streams


@dataclass(eq=False, slots=True)
class Subscriber:
    """One open WebSocket connection and its schedule."""

    ws: web.WebSocketResponse
    transport: asyncio.Transport
    pairs: tuple[str, ...]
    combined: bool
    faults: ConnectionFaults
    next_ping: float
    pings: deque[tuple[bytes, float]] = field(default_factory=deque)
    close_at: float | None = None
    closing: bool = False

    def answered(self, data: bytes) -> None:
        """A pong arrived: it answers the ping with its payload and every older one."""
        for index, (payload, _) in enumerate(self.pings):
            if payload == data:
                for _ in range(index + 1):
                    self.pings.popleft()
                return


class StreamHub:
    """All WebSocket subscribers of one exchange and the per-tick fan-out to them."""

    def __init__(
        self,
        pairs: tuple[str, ...],
        *,
        faults: FaultConfig,
        seed: int,
        ping_interval: float,
        pong_timeout: float,
    ) -> None:
        self._pairs = pairs
        self._faults = faults
        self._seed = seed
        self._ping_interval = ping_interval
        self._pong_timeout = pong_timeout
        self._stream_faults = {
            pair: StreamFaults(faults, random.Random(f"{seed}:stream-faults:{pair}"))
            for pair in pairs
        }
        self._connection_ids = itertools.count()
        self._subscribers: set[Subscriber] = set()
        self.first_subscriber = asyncio.Event()  # set when the first client subscribes
        self._tasks: set[asyncio.Task[bool]] = set()
        self.frames_sent = 0

    @property
    def connections(self) -> int:
        return len(self._subscribers)

    async def combined(self, request: web.Request) -> web.StreamResponse:
        """GET /stream?streams=a@trade/b@trade: enveloped frames."""
        return await self._serve(request, request.query.get("streams", ""), combined=True)

    async def raw(self, request: web.Request) -> web.StreamResponse:
        """GET /ws/a@trade: bare payloads."""
        return await self._serve(request, request.match_info["streams"], combined=False)

    async def _serve(self, request: web.Request, text: str, combined: bool) -> web.StreamResponse:
        try:
            streams = parse_streams(text)
        except BadStreams as error:
            return web.json_response({"code": -1101, "msg": str(error)}, status=400)
        ws = web.WebSocketResponse(autoping=False, compress=False)
        await ws.prepare(request)
        transport = request.transport
        if transport is None:
            return ws
        now = asyncio.get_running_loop().time()
        connection = next(self._connection_ids)
        rng = random.Random(f"{self._seed}:connection:{connection}")
        wanted = {s[: -len(STREAM_SUFFIX)].upper() for s in streams if s.endswith(STREAM_SUFFIX)}
        subscriber = Subscriber(
            ws=ws,
            transport=transport,
            pairs=tuple(pair for pair in self._pairs if pair in wanted),
            combined=combined,
            faults=ConnectionFaults(self._faults, rng, now),
            next_ping=now + self._ping_interval,
        )
        self._subscribers.add(subscriber)
        self.first_subscriber.set()
        log.info(
            "client connected",
            extra=logs.fields(connection=connection, streams=len(streams), peer=request.remote),
        )
        try:
            async for message in ws:
                if message.type is WSMsgType.PING:
                    await ws.pong(message.data)
                elif message.type is WSMsgType.PONG:
                    subscriber.answered(message.data)
        finally:
            self._subscribers.discard(subscriber)
            log.info("client gone", extra=logs.fields(connection=connection))
        return ws

    def publish(self, payloads: dict[str, list[str]]) -> None:
        """Send one tick's payloads (per pair, in id order) to every subscriber of the pair."""
        combined: dict[str, list[bytes]] = {}
        raw: dict[str, list[bytes]] = {}
        need_raw = any(not subscriber.combined for subscriber in self._subscribers)
        for pair, faults in self._stream_faults.items():
            sent = faults.apply(payloads.get(pair, []))
            if not sent:
                continue
            stream = pair.lower() + STREAM_SUFFIX
            combined[pair] = [wire.text_frame(wire.envelope(stream, text)) for text in sent]
            if need_raw:
                raw[pair] = [wire.text_frame(text) for text in sent]
        if not combined:
            return
        joined: dict[tuple[tuple[str, ...], bool], bytes] = {}
        for subscriber in list(self._subscribers):
            if subscriber.closing or subscriber.transport.is_closing():
                continue
            frames = raw if not subscriber.combined else combined
            key = (subscriber.pairs, subscriber.combined)
            mine = [frame for pair in subscriber.pairs for frame in frames.get(pair, ())]
            if not mine:
                continue
            cut = subscriber.faults.drop_after(len(mine))
            if cut is not None:
                subscriber.transport.write(b"".join(mine[:cut]))
                self._drop(subscriber, "drop fault (per frame)")
                continue
            if key not in joined:
                joined[key] = b"".join(mine)
            subscriber.transport.write(joined[key])
            self.frames_sent += len(mine)
            if subscriber.transport.get_write_buffer_size() > SLOW_CLIENT_BYTES:
                self._drop(subscriber, "slow client")

    def housekeeping(self, now: float, now_ms: int) -> None:
        """Pings, pong deadlines and connection faults due at now (event loop clock)."""
        for subscriber in list(self._subscribers):
            if subscriber.closing or subscriber.transport.is_closing():
                continue  # its handler is about to end and remove it
            faults = subscriber.faults
            if subscriber.pings and now - subscriber.pings[0][1] > self._pong_timeout:
                self._close(subscriber, WSCloseCode.POLICY_VIOLATION, b"pong timeout")
            elif faults.drop_at is not None and now >= faults.drop_at:
                self._drop(subscriber, "drop fault (timed)")
            elif subscriber.close_at is not None and now >= subscriber.close_at:
                self._close(subscriber, WSCloseCode.GOING_AWAY, b"server shutdown")
            elif faults.shutdown_at is not None and now >= faults.shutdown_at:
                faults.shutdown_at = None
                subscriber.close_at = now + self._faults.shutdown_grace
                payload = wire.shutdown_payload(now_ms)
                if subscriber.combined:
                    payload = wire.envelope(wire.SHUTDOWN_STREAM, payload)
                subscriber.transport.write(wire.text_frame(payload))
            if not subscriber.closing and now >= subscriber.next_ping:
                ping = str(now_ms).encode()
                subscriber.transport.write(wire.ping_frame(ping))
                subscriber.pings.append((ping, now))
                subscriber.next_ping = now + self._ping_interval

    def _drop(self, subscriber: Subscriber, reason: str) -> None:
        """Close the TCP connection at once, without a WebSocket close frame."""
        subscriber.closing = True
        subscriber.transport.abort()
        self._subscribers.discard(subscriber)
        log.info("client dropped", extra=logs.fields(reason=reason))

    def _close(self, subscriber: Subscriber, code: int, message: bytes) -> None:
        """Start a clean close handshake; the connection's handler ends when it completes."""
        subscriber.closing = True
        task = asyncio.create_task(subscriber.ws.close(code=code, message=message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        log.info("client closed", extra=logs.fields(code=code, reason=message.decode()))

    async def close_all(self, grace: float) -> None:
        """Close every connection with 1001 (going away); wait up to grace for the handshakes."""
        for subscriber in list(self._subscribers):
            if not subscriber.closing:
                self._close(subscriber, WSCloseCode.GOING_AWAY, b"exchange stopping")
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=grace)
