"""One shard's WebSocket feed: connect, read, rotate, reconnect, forever.

Make-before-break: when the connection nears Binance's 24-hour limit, or the server
announces ``serverShutdown``, a new connection is opened first and the old one is
closed only once the new one is up; frames from both may overlap (duplicates with
identical trade ids, which downstream dedupe removes). A dropped connection is
reopened with capped, jittered backoff that never gives up; the trades missed
meanwhile show up as a trade-id gap and are backfilled over REST.

Pings: aiohttp answers the server's pings (every 20 s on Binance) with pongs
carrying the same payload, and sends its own ping every HEARTBEAT seconds to notice
a half-open connection (Binance allows 5 incoming messages per second).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

import aiohttp

from coinpulse import logs
from coinpulse.binance_frames import trade_stream
from relay.backoff import Backoff
from relay.stats import RelayStats

log = logging.getLogger(__name__)

MAX_STREAMS_PER_CONNECTION = 1024  # web-socket-streams.md
CONNECTION_LIFETIME = 24 * 3600  # s, "only valid for 24 hours" (web-socket-streams.md)
DEFAULT_ROTATE_AFTER = CONNECTION_LIFETIME - 10 * 60  # s, rotate 10 minutes early
HEARTBEAT = 20.0  # s, our own ping; no pong within half of it closes the connection
CONNECT_TIMEOUT = 10.0  # s
STABLE_AFTER = 10.0  # s a connection must live before backoff resets

# Called for each text frame with its receive time (ms since epoch); returns True
# when the frame was a serverShutdown notice.
FrameHandler = Callable[[str, int], Awaitable[bool]]
# Called after every successful connect with the shard's pairs.
ConnectedHandler = Callable[[list[str]], None]


def shard(pairs: list[str], max_streams: int = MAX_STREAMS_PER_CONNECTION) -> list[list[str]]:
    """Split pairs into groups of at most ``max_streams`` (one trade stream per pair)."""
    if max_streams < 1:
        raise ValueError("max_streams must be at least 1")
    return [pairs[i : i + max_streams] for i in range(0, len(pairs), max_streams)]


def stream_url(base_url: str, pairs: list[str]) -> str:
    """Combined-stream URL, e.g. wss://stream.binance.com:9443/stream?streams=btcusdt@trade/..."""
    return f"{base_url.rstrip('/')}/stream?streams=" + "/".join(trade_stream(p) for p in pairs)


class Reader:
    """One open WebSocket and the task reading it."""

    def __init__(
        self, ws: aiohttp.ClientWebSocketResponse, handler: FrameHandler, stats: RelayStats
    ):
        self.ws = ws
        self.opened_at = time.monotonic()
        self.shutdown_notice = asyncio.Event()
        self._handler = handler
        self._stats = stats
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        """Read until the connection ends; an abrupt drop ends it like a close.

        An unexpected error from the frame handler is logged with its traceback and
        counted (``task_failures["frames"]``); it ends this connection, so the feed
        reconnects and the backfill fetches whatever it did not deliver.
        """
        try:
            async for message in self.ws:
                if message.type == aiohttp.WSMsgType.TEXT:
                    if await self._handler(message.data, int(time.time() * 1000)):
                        self.shutdown_notice.set()
                elif message.type == aiohttp.WSMsgType.ERROR:
                    break
        except (aiohttp.ClientError, ConnectionError) as error:
            log.debug("read ended", extra=logs.fields(error=repr(error)))
        except Exception:
            self._stats.task_failures["frames"] += 1
            log.exception(
                "frame handling failed, reconnecting",
                extra=logs.fields(failures=self._stats.task_failures["frames"]),
            )
            await self.ws.close()

    async def close(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self.task
        await self.ws.close()


class ShardFeed:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        pairs: list[str],
        base_url: str,
        handler: FrameHandler,
        connected: ConnectedHandler,
        stats: RelayStats,
        rotate_after: float = DEFAULT_ROTATE_AFTER,
    ):
        self._session = session
        self.pairs = pairs
        self.url = stream_url(base_url, pairs)
        self._handler = handler
        self._connected = connected
        self._stats = stats
        self._rotate_after = rotate_after
        self._backoff = Backoff()
        self._ever_connected = False

    async def run(self, stopping: asyncio.Event) -> None:
        """Keep one live connection until ``stopping`` is set."""
        reader: Reader | None = None
        try:
            while not stopping.is_set():
                if reader is None or reader.task.done():
                    if reader is not None:
                        self._dropped(reader)
                    reader = await self._open(stopping)
                    continue
                why = await self._wait_for_change(reader, stopping)
                if why in ("age", "shutdown"):
                    replacement = await self._open(stopping)
                    if replacement is None:
                        break
                    old, reader = reader, replacement
                    await old.close()
                    self._stats.open_connections -= 1
                    self._stats.rotations += 1
                    log.info("rotated connection", extra=logs.fields(reason=why, url=self.url))
        finally:
            if reader is not None:
                await reader.close()
                self._stats.open_connections -= 1

    def _dropped(self, reader: Reader) -> None:
        self._stats.open_connections -= 1
        self._stats.reconnects += 1
        lived = time.monotonic() - reader.opened_at
        if lived >= STABLE_AFTER:
            self._backoff.reset()
        log.warning(
            "connection dropped, reconnecting",
            extra=logs.fields(
                url=self.url, lived_s=round(lived, 1), close_code=reader.ws.close_code
            ),
        )

    async def _wait_for_change(self, reader: Reader, stopping: asyncio.Event) -> str:
        age_left = max(0.0, self._rotate_after - (time.monotonic() - reader.opened_at))
        waits: dict[asyncio.Future[object], str] = {
            asyncio.ensure_future(stopping.wait()): "stop",
            asyncio.ensure_future(reader.shutdown_notice.wait()): "shutdown",
            asyncio.ensure_future(asyncio.shield(reader.task)): "dropped",
            asyncio.ensure_future(asyncio.sleep(age_left)): "age",
        }
        done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for future in pending:
            future.cancel()
        why = waits[next(iter(done))]
        if why == "shutdown":
            self._stats.server_shutdowns += 1
        return why

    async def _open(self, stopping: asyncio.Event) -> Reader | None:
        """Connect, retrying with backoff until connected or stopping."""
        while not stopping.is_set():
            try:
                ws = await self._session.ws_connect(
                    self.url,
                    heartbeat=HEARTBEAT,
                    autoping=True,
                    max_msg_size=0,
                    timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=CONNECT_TIMEOUT),
                )
            except (aiohttp.ClientError, TimeoutError, OSError) as error:
                delay = self._backoff.next_delay()
                log.warning(
                    "connect failed, retrying",
                    extra=logs.fields(url=self.url, error=repr(error), retry_in_s=round(delay, 2)),
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), delay)
                continue
            self._stats.open_connections += 1
            log.info("connected", extra=logs.fields(url=self.url, reconnect=self._ever_connected))
            self._ever_connected = True
            reader = Reader(ws, self._handler, self._stats)
            self._connected(self.pairs)
            return reader
        return None
