"""The REST side: the slice of Binance's /api/v3 a trade relay needs, with its limits.

Endpoints (rest-api.md): ``ping``, ``time``, ``exchangeInfo``, ``trades`` (the most
recent trades) and ``historicalTrades`` (from ``fromId`` on, in id order; without
``fromId`` the most recent). Limits follow Binance: default 500 rows, at most
1000 (a larger limit is capped, as spot does). Every request costs its weight
against the caller's IP in the current wall-clock minute; every answer carries
``X-MBX-USED-WEIGHT-1M``, and a request past the limit is answered 429 with
``Retry-After`` (seconds to the next minute) and error code -1003. The rest429
fault answers a share of requests 429 with ``Retry-After: 1`` before any weight
is counted.

Also ``GET /_replay/truth?symbol=`` (optional ``fromId``, ``limit``): the exchange's
ground truth as trade records, and ``GET /_replay/status``; neither costs weight.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from coinpulse import symbols
from standins.exchange.faults import FaultConfig, rest_fault
from standins.exchange.market import Market, format_units
from standins.exchange.truth import PairTruth

REQUEST_WEIGHT_LIMIT = 6000  # REQUEST_WEIGHT per minute per IP (rest-api.md, since 2023-08-25)
RAW_REQUESTS_LIMIT = 61_000  # RAW_REQUESTS per 5 minutes (rest-api.md)
# Request weights (rest-api.md): historicalTrades and trades 25 (since 2024-04-04).
WEIGHT_PING = 1
WEIGHT_TIME = 1
WEIGHT_EXCHANGE_INFO = 20
WEIGHT_TRADES = 25
DEFAULT_LIMIT = 500
MAX_LIMIT = 1000
USED_WEIGHT_HEADER = "X-MBX-USED-WEIGHT-1M"
FAULT_RETRY_AFTER = 1  # s, Retry-After of a rest429 fault
QUOTES = ("USDT", "BUSD", "USDC", "FDUSD", "BTC", "ETH", "BNB", "EUR", "USD")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiError(Exception):
    """A request Binance would refuse: HTTP status plus a Binance error code and message."""

    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(msg)
        self.status, self.code, self.msg = status, code, msg


class WeightLimiter:
    """Request weight used per IP in the current wall-clock minute."""

    def __init__(self, limit: int = REQUEST_WEIGHT_LIMIT) -> None:
        self.limit = limit
        self._minute = -1
        self._used: dict[str, int] = {}

    def used(self, ip: str, now: float) -> int:
        self._roll(now)
        return self._used.get(ip, 0)

    def charge(self, ip: str, weight: int, now: float) -> bool:
        """Count weight for ip; False (and nothing counted) if it would pass the limit."""
        used = self.used(ip, now)
        if used + weight > self.limit:
            return False
        self._used[ip] = used + weight
        return True

    def _roll(self, now: float) -> None:
        minute = int(now // 60)
        if minute != self._minute:
            self._minute, self._used = minute, {}


def _int_param(request: web.Request, name: str) -> int | None:
    value = request.query.get(name)
    if value is None:
        return None
    if not value.isdigit() or len(value) > 20:
        legal = "legal range is '^[0-9]{1,20}$'."
        raise ApiError(400, -1100, f"Illegal characters found in parameter '{name}'; {legal}")
    return int(value)


class RestApi:
    """Handlers of the REST endpoints over one market's ground truth."""

    def __init__(
        self,
        market: Market,
        truth: dict[str, PairTruth],
        *,
        faults: FaultConfig,
        seed: int,
        weight_limit: int = REQUEST_WEIGHT_LIMIT,
    ) -> None:
        self._market = market
        self._truth = truth
        self._faults = faults
        self._rng = random.Random(f"{seed}:rest-faults")
        self.limiter = WeightLimiter(weight_limit)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/api/v3/ping", self._weighted(WEIGHT_PING, self._ping))
        app.router.add_get("/api/v3/time", self._weighted(WEIGHT_TIME, self._time))
        app.router.add_get(
            "/api/v3/exchangeInfo", self._weighted(WEIGHT_EXCHANGE_INFO, self._exchange_info)
        )
        app.router.add_get("/api/v3/trades", self._weighted(WEIGHT_TRADES, self._recent))
        app.router.add_get(
            "/api/v3/historicalTrades", self._weighted(WEIGHT_TRADES, self._historical)
        )
        app.router.add_get("/_replay/truth", self._replay_truth)
        app.router.add_get("/_replay/status", self._replay_status)

    def _weighted(self, weight: int, handler: Handler) -> Handler:
        """handler behind the rest429 fault and the weight limit, with the weight header."""

        async def limited(request: web.Request) -> web.StreamResponse:
            ip = request.remote or "unknown"
            now = time.time()
            response: web.StreamResponse
            if rest_fault(self._faults, self._rng):
                response = _error(429, -1003, "Too many requests; injected fault.")
                response.headers["Retry-After"] = str(FAULT_RETRY_AFTER)
            elif not self.limiter.charge(ip, weight, now):
                response = _error(
                    429,
                    -1003,
                    f"Too much request weight used; current limit is {self.limiter.limit} "
                    "request weight per 1 MINUTE. Please use WebSocket Streams for live updates "
                    "to avoid polling the API.",
                )
                response.headers["Retry-After"] = str(max(1, math.ceil(60 - now % 60)))
            else:
                try:
                    response = await handler(request)
                except ApiError as error:
                    response = _error(error.status, error.code, error.msg)
            response.headers[USED_WEIGHT_HEADER] = str(self.limiter.used(ip, now))
            return response

        return limited

    def _pair(self, request: web.Request) -> PairTruth:
        symbol = request.query.get("symbol", "")
        if not symbol:
            msg = "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."
            raise ApiError(400, -1102, msg)
        truth = self._truth.get(symbol)
        if truth is None:
            raise ApiError(400, -1121, "Invalid symbol.")
        return truth

    @staticmethod
    def _limit(request: web.Request) -> int:
        limit = _int_param(request, "limit")
        if limit is None:
            return DEFAULT_LIMIT
        if limit < 1:
            raise ApiError(400, -1130, "Data sent for parameter 'limit' is not valid.")
        return min(limit, MAX_LIMIT)

    async def _ping(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({})

    async def _time(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"serverTime": int(time.time() * 1000)})

    async def _recent(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self._pair(request).rest_rows(None, self._limit(request)))

    async def _historical(self, request: web.Request) -> web.StreamResponse:
        truth = self._pair(request)
        limit = self._limit(request)
        return web.json_response(truth.rest_rows(_int_param(request, "fromId"), limit))

    async def _exchange_info(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {
                "timezone": "UTC",
                "serverTime": int(time.time() * 1000),
                "rateLimits": [
                    _rate_limit("REQUEST_WEIGHT", "MINUTE", 1, self.limiter.limit),
                    _rate_limit("RAW_REQUESTS", "MINUTE", 5, RAW_REQUESTS_LIMIT),
                ],
                "exchangeFilters": [],
                "symbols": [self._symbol_info(pair) for pair in self._market.pairs],
            }
        )

    def _symbol_info(self, pair: str) -> dict[str, Any]:
        profile = self._market.pairs[pair].profile
        base, quote = split_pair(pair)
        return {
            "symbol": pair,
            "status": "TRADING",
            "baseAsset": base,
            "baseAssetPrecision": 8,
            "quoteAsset": quote,
            "quoteAssetPrecision": 8,
            "filters": [
                {
                    "filterType": "PRICE_FILTER",
                    "minPrice": format_units(profile.tick),
                    "maxPrice": format_units(profile.tick * 10_000_000),
                    "tickSize": format_units(profile.tick),
                },
                {
                    "filterType": "LOT_SIZE",
                    "minQty": format_units(profile.step),
                    "maxQty": format_units(profile.step * 10_000_000),
                    "stepSize": format_units(profile.step),
                },
            ],
        }

    async def _replay_truth(self, request: web.Request) -> web.StreamResponse:
        try:
            truth = self._pair(request)
            from_id, limit = _int_param(request, "fromId"), _int_param(request, "limit")
        except ApiError as error:
            return _error(error.status, error.code, error.msg)
        return web.json_response(truth.records(from_id, limit))

    async def _replay_status(self, request: web.Request) -> web.StreamResponse:
        pairs = {
            pair: {"first_id": truth.first_id, "last_id": truth.last_id, "count": len(truth)}
            for pair, truth in self._truth.items()
        }
        return web.json_response({"pairs": pairs, "exhausted": self._market.exhausted})


def split_pair(pair: str) -> tuple[str, str]:
    """(base, quote) of a pair: from the symbol map, else by a known quote suffix."""
    try:
        coin = symbols.by_pair(pair)
    except symbols.UnknownSymbol:
        quote = next((q for q in QUOTES if pair.endswith(q) and len(pair) > len(q)), "")
        return pair[: len(pair) - len(quote)], quote
    return coin.ticker, coin.quote


def _rate_limit(kind: str, interval: str, num: int, limit: int) -> dict[str, Any]:
    return {"rateLimitType": kind, "interval": interval, "intervalNum": num, "limit": limit}


def _error(status: int, code: int, msg: str) -> web.Response:
    """A Binance-style error answer: {"code": ..., "msg": ...}."""
    return web.json_response({"code": code, "msg": msg}, status=status)
