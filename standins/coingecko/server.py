"""The stand-in's HTTP server: CoinGecko's v3 paths, the key check and switchable faults.

Paths: ``/api/v3/ping``, ``/api/v3/coins/markets`` and ``/api/v3/coins/{id}/ohlc``,
with CoinGecko's parameters and error bodies. With ``api_key`` set, requests must
carry it in ``x-cg-demo-api-key`` (else 401, error code 10002, as CoinGecko answers).

Faults are counted per target: ``markets`` for /coins/markets, the coin id for its
candles. ``rate_limit={"bitcoin": 2}`` answers the first two bitcoin requests with 429,
``server_errors`` likewise with 503; a large count makes a target fail for good. Both
carry ``Retry-After: retry_after`` unless it is None. Coins in ``unlisted`` are left out
of /coins/markets answers, as CoinGecko leaves out ids it does not list (their
candles still answer). Every request is recorded in ``seen`` so tests can check what
the client sent.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from standins.coingecko import data
from standins.http_server import BackgroundServer

# The header CoinGecko reads a Demo plan key from
# (docs.coingecko.com/demo/reference/authentication).
DEMO_KEY_HEADER = "x-cg-demo-api-key"

log = logging.getLogger(__name__)

OHLC_PATH = re.compile(r"^/api/v3/coins/(?P<coin_id>[^/]+)/ohlc$")
MARKETS_PATH = "/api/v3/coins/markets"
PING_PATH = "/api/v3/ping"
RATE_LIMIT_MESSAGE = (
    "You've exceeded the Rate Limit. Please visit https://www.coingecko.com/en/api/pricing "
    "to subscribe to our API plans for higher rate limits."
)

Answer = tuple[int, dict[str, str], Any]


@dataclass(frozen=True, slots=True)
class Seen:
    """One request as the stand-in received it."""

    path: str
    query: dict[str, list[str]]
    target: str | None  # "markets", a coin id, or None for other paths
    status: int
    demo_key: str | None  # value of the x-cg-demo-api-key header
    user_agent: str | None


def _error(status: int, message: str, code: int | None = None) -> Answer:
    if code is None:
        return status, {}, {"error": message}
    return status, {}, {"status": {"error_code": code, "error_message": message}}


class StandIn(BackgroundServer):
    """A local CoinGecko on ``host:port`` (port 0 picks a free one)."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        rate_limit: Mapping[str, int] | None = None,
        server_errors: Mapping[str, int] | None = None,
        retry_after: int | None = 1,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.api_key = api_key
        self.rate_limit = dict(rate_limit or {})
        self.server_errors = dict(server_errors or {})
        self.retry_after = retry_after
        self.unlisted: set[str] = set()
        self.now = now
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        super().__init__(_handler_class(self), host, port)

    @property
    def base_url(self) -> str:
        return f"{self.origin}/api/v3"

    def requests_for(self, target: str) -> list[Seen]:
        with self._lock:
            return [seen for seen in self.seen if seen.target == target]

    def answer(self, target_url: str, headers: Mapping[str, str]) -> Answer:
        """Answer one GET (header names in lower case) and record it."""
        parts = urlsplit(target_url)
        query = parse_qs(parts.query)
        match = OHLC_PATH.match(parts.path)
        target = "markets" if parts.path == MARKETS_PATH else match["coin_id"] if match else None
        answer = self._answer(parts.path, target, query, headers)
        with self._lock:
            self.seen.append(
                Seen(
                    path=parts.path,
                    query=query,
                    target=target,
                    status=answer[0],
                    demo_key=headers.get(DEMO_KEY_HEADER),
                    user_agent=headers.get("user-agent"),
                )
            )
        return answer

    def _answer(
        self,
        path: str,
        target: str | None,
        query: dict[str, list[str]],
        headers: Mapping[str, str],
    ) -> Answer:
        if path == PING_PATH:
            return 200, {}, {"gecko_says": "(V3) To the Moon!"}
        if target is None:
            return _error(404, f"Not Found: {path}")
        if self.api_key and headers.get(DEMO_KEY_HEADER) != self.api_key:
            message = "Invalid API Key" if headers.get(DEMO_KEY_HEADER) else "API Key Missing"
            return _error(401, message, 10002)
        fault = self._take_fault(target)
        if fault is not None:
            return fault
        vs_currency = query.get("vs_currency", [""])[0]
        if not vs_currency:
            return _error(400, "Missing parameter vs_currency")
        if vs_currency != "usd":
            return _error(400, f"invalid vs_currency {vs_currency!r} (the stand-in serves usd)")
        if target == "markets":
            return self._markets(query)
        return self._ohlc(target, query)

    def _take_fault(self, target: str) -> Answer | None:
        headers = {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}
        with self._lock:
            if self.rate_limit.get(target, 0) > 0:
                self.rate_limit[target] -= 1
                return (
                    429,
                    headers,
                    {"status": {"error_code": 429, "error_message": RATE_LIMIT_MESSAGE}},
                )
            if self.server_errors.get(target, 0) > 0:
                self.server_errors[target] -= 1
                return 503, headers, {"error": "Service Unavailable"}
        return None

    def _markets(self, query: dict[str, list[str]]) -> Answer:
        ids = query.get("ids", [""])[0]
        wanted = [coin_id for coin_id in ids.split(",") if coin_id] or list(data.PROFILES)
        now = self.now()
        listed = [coin_id for coin_id in wanted if coin_id in data.PROFILES]
        rows = [data.market(coin_id, now) for coin_id in listed if coin_id not in self.unlisted]
        rows.sort(key=lambda row: -row["market_cap"])
        return 200, {}, rows

    def _ohlc(self, coin_id: str, query: dict[str, list[str]]) -> Answer:
        if coin_id not in data.PROFILES:
            return _error(404, "coin not found")
        days = query.get("days", [""])[0]
        if not days.isdigit() or int(days) < 1:
            return _error(400, f"invalid days {days!r}")
        return 200, {}, data.candles(coin_id, int(days), self.now())


def _handler_class(standin: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            received = {name.lower(): value for name, value in self.headers.items()}
            status, headers, body = standin.answer(self.path, received)
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("stand-in: " + format, *args)

    return Handler
