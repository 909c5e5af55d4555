"""The replay exchange: one market clock, one aiohttp server, both protocols.

``ReplayExchange`` owns the seeded market, the ground truth, the WebSocket hub
and the REST API. Once started, a single clock task ticks every TICK_SECONDS
whether or not anyone is connected: it advances the market to the wall clock,
records the new trades as ground truth (and in the truth file), formats each
trade's payload once and hands the tick to the hub, which fans it out and runs
pings and connection faults. Stopping closes every WebSocket with 1001, then the
server, then the truth file.

    async with ReplayExchange(ExchangeConfig(pairs=("BTCUSDT",), seed=1)) as ex:
        url = ex.stream_url()      # ws://127.0.0.1:PORT/stream?streams=btcusdt@trade
        trades = ex.truth("BTCUSDT")
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from coinpulse import logs, symbols
from standins.exchange import wire
from standins.exchange.faults import FaultConfig
from standins.exchange.market import Market, normalize_pairs
from standins.exchange.rest import REQUEST_WEIGHT_LIMIT, RestApi
from standins.exchange.streams import StreamHub
from standins.exchange.truth import PairTruth, TruthFile

log = logging.getLogger(__name__)

TICK_SECONDS = 0.01  # market clock period: at most 10 ms between a trade and its frame
PING_INTERVAL = 20.0  # s between server pings (web-socket-streams.md, since 2025-02)
PONG_TIMEOUT = 60.0  # s a ping may stay unanswered (web-socket-streams.md, since 2025-02)
DEFAULT_RATE = 5.0  # trades per second per pair, bursts included
STOP_GRACE = 1.0  # s a stopping exchange waits for clients to finish their close handshake
# 1024 streams of up to ~20 characters fit in one request line (aiohttp's default is 8190)
MAX_REQUEST_LINE = 64 * 1024
MAX_LAG_MS = 1_000.0  # a market further behind the wall clock than this skips ahead


@dataclass(frozen=True)
class ExchangeConfig:
    """Everything that shapes one exchange run. Raises ValueError on nonsense values."""

    pairs: Sequence[str] = symbols.DEFAULT_PAIRS
    seed: int = 0
    rate: float = DEFAULT_RATE  # trades per second per pair, long-run average
    max_trades: int | None = None  # per pair; generation stops there, serving goes on
    bursts: bool = True  # False: steady Poisson arrivals, for benchmarks
    open_on_subscribe: bool = True  # the market opens when the first client subscribes
    first_trade_id: int | None = None  # default: start time in ms * 100
    ping_interval: float = PING_INTERVAL
    pong_timeout: float = PONG_TIMEOUT
    weight_limit: int = REQUEST_WEIGHT_LIMIT
    faults: FaultConfig = field(default_factory=FaultConfig)
    truth_file: Path | None = None
    host: str = "127.0.0.1"
    port: int = 0  # 0: any free port

    def __post_init__(self) -> None:
        object.__setattr__(self, "pairs", normalize_pairs(self.pairs))
        if self.rate <= 0:
            raise ValueError(f"rate must be above zero, got {self.rate}")
        if self.max_trades is not None and self.max_trades < 0:
            raise ValueError(f"max_trades must not be negative, got {self.max_trades}")
        if self.ping_interval <= 0 or self.pong_timeout <= 0:
            raise ValueError("ping_interval and pong_timeout must be above zero")
        if self.weight_limit < 1:
            raise ValueError(f"weight_limit must be at least 1, got {self.weight_limit}")


class ReplayExchange:
    """A local exchange speaking Binance's spot protocol; an async context manager."""

    def __init__(self, config: ExchangeConfig | None = None) -> None:
        self.config = config or ExchangeConfig()
        self.pairs: tuple[str, ...] = tuple(self.config.pairs)
        self._market: Market | None = None
        self._truth: dict[str, PairTruth] = {}
        self._truth_file: TruthFile | None = None
        self._hub = StreamHub(
            self.pairs,
            faults=self.config.faults,
            seed=self.config.seed,
            ping_interval=self.config.ping_interval,
            pong_timeout=self.config.pong_timeout,
        )
        self._runner: web.AppRunner | None = None
        self._clock: asyncio.Task[None] | None = None
        self._new_trades = asyncio.Event()
        self.port = 0

    async def __aenter__(self) -> ReplayExchange:
        await self.start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def ws_url(self) -> str:
        """Base WebSocket URL, e.g. ws://127.0.0.1:9443 (append /stream?streams=...)."""
        return f"ws://{self._url_host}:{self.port}"

    @property
    def rest_url(self) -> str:
        """Base REST URL, e.g. http://127.0.0.1:9443 (append /api/v3/...)."""
        return f"http://{self._url_host}:{self.port}"

    @property
    def _url_host(self) -> str:
        host = self.config.host
        if host in ("0.0.0.0", ""):
            return "127.0.0.1"
        return f"[{host}]" if ":" in host else host

    @property
    def connections(self) -> int:
        """Open WebSocket connections."""
        return self._hub.connections

    @property
    def frames_sent(self) -> int:
        """Frames written to WebSocket clients so far, all connections together."""
        return self._hub.frames_sent

    def stream_url(self, pairs: Iterable[str] | None = None) -> str:
        """The combined trade stream URL of pairs (default: every pair)."""
        chosen = self.pairs if pairs is None else normalize_pairs(pairs)
        return f"{self.ws_url}/stream?streams=" + "/".join(f"{p.lower()}@trade" for p in chosen)

    def truth(
        self, pair: str, from_id: int | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Ground-truth trade records of pair. Raises KeyError for a pair not served."""
        return self._truth[pair.upper()].records(from_id, limit)

    def trade_count(self, pair: str) -> int:
        """Trades generated so far for pair. Raises KeyError for a pair not served."""
        return len(self._truth[pair.upper()])

    @property
    def exhausted(self) -> bool:
        """True once every pair generated max_trades trades."""
        return self._market is not None and self._market.exhausted

    async def wait_for_trades(self, count: int, timeout: float = 30.0) -> None:
        """Wait until every pair has count trades. Raises TimeoutError."""
        async with asyncio.timeout(timeout):
            while min(len(truth) for truth in self._truth.values()) < count:
                self._new_trades.clear()
                await self._new_trades.wait()

    async def start(self) -> None:
        """Bind, start the clock. Raises OSError (port taken, truth file not writable)."""
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        config = self.config
        start_ms = time.time() * 1000
        self._market = Market(
            self.pairs,
            seed=config.seed,
            rate=config.rate,
            start_ms=start_ms,
            first_trade_id=config.first_trade_id,
            max_trades=config.max_trades,
            bursts=config.bursts,
        )
        self._truth = {pair: PairTruth(pair, self._market.first_id) for pair in self.pairs}
        if config.truth_file is not None:
            self._truth_file = TruthFile(config.truth_file)
        app = web.Application()
        app.router.add_get("/stream", self._hub.combined)
        app.router.add_get("/ws/{streams:.+}", self._hub.raw)
        RestApi(
            self._market,
            self._truth,
            faults=config.faults,
            seed=config.seed,
            weight_limit=config.weight_limit,
        ).add_routes(app)
        self._runner = web.AppRunner(
            app,
            access_log=None,
            handle_signals=False,
            max_line_size=MAX_REQUEST_LINE,
            shutdown_timeout=STOP_GRACE,
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, config.host, config.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self._clock = asyncio.create_task(self._run_clock(), name="exchange-clock")
        self._clock.add_done_callback(_report_clock_failure)
        log.info(
            "replay exchange started",
            extra=logs.fields(
                ws_url=self.ws_url,
                rest_url=self.rest_url,
                pairs=list(self.pairs),
                seed=config.seed,
                rate=config.rate,
                max_trades=config.max_trades,
                first_trade_id=self._market.first_id,
                faults=config.faults.active,
            ),
        )

    async def stop(self) -> None:
        """Stop the clock, close every connection, release the port and the truth file."""
        if self._clock is not None:
            self._clock.cancel()
            await asyncio.gather(self._clock, return_exceptions=True)
            self._clock = None
        await self._hub.close_all(STOP_GRACE)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._truth_file is not None:
            self._truth_file.close()
            self._truth_file = None

    async def _run_clock(self) -> None:
        """Generate trades every tick; with open_on_subscribe, only once someone listens.

        Opening on the first subscription makes the ground truth start when a client
        can see it, so "every generated trade was delivered" is a fair check.
        """
        assert self._market is not None, "start() first"
        if self.config.open_on_subscribe:
            await self._hub.first_subscriber.wait()
            self._market.reopen(time.time() * 1000)
        loop = asyncio.get_running_loop()
        next_tick = loop.time()
        while True:
            self._tick(loop.time(), time.time() * 1000)
            next_tick += TICK_SECONDS
            delay = next_tick - loop.time()
            if delay < -1.0:
                next_tick = loop.time()  # overloaded: do not replay missed ticks
            await asyncio.sleep(max(0.0, delay))

    def _tick(self, now: float, now_ms: float) -> None:
        """One clock step: generate, record, publish; then pings and connection faults."""
        assert self._market is not None, "start() first"
        batches = self._market.advance(now_ms, MAX_LAG_MS)
        payloads: dict[str, list[str]] = {}
        for pair, trades in batches.items():
            truth = self._truth[pair]
            truth.extend(trades)
            if self._truth_file is not None:
                self._truth_file.write(truth, trades)
            payloads[pair] = [wire.trade_payload(pair, trade) for trade in trades]
        self._hub.publish(payloads)
        self._hub.housekeeping(now, int(now_ms))
        if batches:
            self._new_trades.set()


def _report_clock_failure(clock: asyncio.Task[None]) -> None:
    """Log why the market clock died (e.g. the truth file's disk is full): trading stopped."""
    if not clock.cancelled() and clock.exception() is not None:
        log.error(
            "market clock failed; no more trades are generated",
            exc_info=clock.exception(),
            extra=logs.fields(error=repr(clock.exception())),
        )
