"""CoinGecko over HTTP: one client interface, rate limited, retried, key kept secret.

``CoinGecko`` is the interface the loads depend on; ``HttpCoinGecko`` implements it
against any server that speaks CoinGecko's v3 protocol: the real API or the local
stand-in (``standins.coingecko``), chosen by base URL alone.

What is retried: HTTP 429 and 5xx, connection errors, timeouts and unreadable JSON,
up to ``MAX_ATTEMPTS`` per request. The wait is the server's Retry-After when given,
else ``RATE_LIMIT_WAIT_SECONDS`` after a 429 (the limit is per minute) or exponential
backoff otherwise. A request gives up (``CoinGeckoError``) when attempts run out, when
Retry-After asks for more than ``MAX_RETRY_AFTER_SECONDS``, or when the retry would
start later than ``RETRY_WINDOW_SECONDS`` after the client was made: a daily run
must end well inside Cloud Scheduler's attempt deadline (at most 30 minutes), and
Scheduler retries the whole run. Other 4xx answers (bad key, unknown coin) fail at
once.

The API key goes in a request header only (never in the URL), and no log line or
error message contains headers, so the key cannot leak into logs.
"""

from __future__ import annotations

import email.utils
import logging
import os
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

import requests

from coinpulse import __version__, logs

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.coingecko.com/api/v3"
API_KEY_ENV = "COINGECKO_API_KEY"
CALLS_PER_MINUTE_ENV = "COINGECKO_CALLS_PER_MINUTE"
# docs.coingecko.com/demo/reference/authentication: demo keys go in x-cg-demo-api-key;
# keys of paid plans go in x-cg-pro-api-key and only work on the pro host.
DEMO_KEY_HEADER = "x-cg-demo-api-key"
PRO_KEY_HEADER = "x-cg-pro-api-key"
PRO_HOST = "pro-api.coingecko.com"
# Demo plan: 30 calls/min in coingecko/skills references/core.md, 100/min in the newer
# errors-and-rate-limits page; 30 is inside every published figure. Paid plans allow
# 250+, but a run makes a dozen calls, so they use the same safe figure.
DEMO_CALLS_PER_MINUTE = 30
# Keyless (public) access: 10 calls/min in coingecko/skills; IP based, varies with traffic.
KEYLESS_CALLS_PER_MINUTE = 10
# A server on this machine (the stand-in) has no plan to respect.
LOCAL_CALLS_PER_MINUTE = 6000
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# /coins/markets per_page is 1..250 (demo-api.json).
MARKETS_MAX_IDS = 250
MAX_ATTEMPTS = 4
BACKOFF_INITIAL_SECONDS = 2.0
BACKOFF_MAX_SECONDS = 60.0
# Whether CoinGecko's 429 carries Retry-After is undocumented; its limit is per minute.
RATE_LIMIT_WAIT_SECONDS = 60.0
MAX_RETRY_AFTER_SECONDS = 120.0
# No retry starts later than this into a run. With a dozen calls of at most 35 s each
# beyond it, a run stays inside Cloud Scheduler's longest attempt deadline for HTTP
# targets, 30 minutes (default 3; scheduler/docs/reference/rest/v1 Job.attemptDeadline).
RETRY_WINDOW_SECONDS = 600.0
TIMEOUT_SECONDS = (5.0, 30.0)  # connect, read


class CoinGeckoError(RuntimeError):
    """A request failed for good; ``status`` is the last HTTP status (None: no answer)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class CoinGecko(Protocol):
    """The two CoinGecko endpoints the daily lane reads, as decoded JSON."""

    def markets(self, coin_ids: Sequence[str]) -> Any:
        """GET /coins/markets for these ids in USD. Raises CoinGeckoError."""
        ...

    def ohlc(self, coin_id: str, days: int) -> Any:
        """GET /coins/{id}/ohlc in USD. Raises CoinGeckoError."""
        ...


def api_key_from_env() -> str | None:
    """COINGECKO_API_KEY without surrounding whitespace (secrets often end in a newline)."""
    key = os.environ.get(API_KEY_ENV, "").strip()
    return key or None


def key_header(base_url: str) -> str:
    """The header that carries the key for this host."""
    return PRO_KEY_HEADER if urlsplit(base_url).hostname == PRO_HOST else DEMO_KEY_HEADER


def calls_per_minute(base_url: str, api_key: str | None) -> float:
    """The request rate for this target: COINGECKO_CALLS_PER_MINUTE, else by plan."""
    configured = os.environ.get(CALLS_PER_MINUTE_ENV)
    if configured:
        rate = float(configured)
        if rate <= 0:
            raise ValueError(f"{CALLS_PER_MINUTE_ENV} must be positive, got {configured!r}")
        return rate
    if urlsplit(base_url).hostname in LOCAL_HOSTS:
        return LOCAL_CALLS_PER_MINUTE
    return DEMO_CALLS_PER_MINUTE if api_key else KEYLESS_CALLS_PER_MINUTE


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """A Retry-After header (seconds or HTTP date) -> seconds to wait, None if absent/invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff before retry number ``attempt`` (1-based): 2, 4, 8 ... 60 s."""
    return float(min(BACKOFF_MAX_SECONDS, BACKOFF_INITIAL_SECONDS * 2 ** (attempt - 1)))


class RateLimiter:
    """Spaces request starts evenly: at most ``per_minute`` in any minute.

    Every request counts, failed ones too (CoinGecko counts 4xx and 5xx answers).
    """

    def __init__(
        self,
        per_minute: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.per_minute = per_minute
        self.interval = 60.0 / per_minute
        self._clock = clock
        self._sleep = sleep
        self._next: float | None = None

    def acquire(self) -> float:
        """Wait until the next request may start; returns the seconds waited."""
        now = self._clock()
        wait = 0.0 if self._next is None else max(0.0, self._next - now)
        if wait:
            self._sleep(wait)
        self._next = now + wait + self.interval
        return wait


class HttpCoinGecko:
    """``CoinGecko`` over HTTP with the rate limit, retries and key header described above."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        api_key: str | None = None,
        per_minute: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        rate = per_minute if per_minute is not None else calls_per_minute(base_url, api_key)
        self.limiter = RateLimiter(rate, clock, sleep)
        self.retry_until = clock() + RETRY_WINDOW_SECONDS
        self._clock = clock
        self._sleep = sleep
        self._session = requests.Session()
        self._session.headers["User-Agent"] = f"coinpulse/{__version__}"
        self._session.headers["Accept"] = "application/json"
        if api_key:
            self._session.headers[key_header(base_url)] = api_key

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> HttpCoinGecko:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def markets(self, coin_ids: Sequence[str]) -> Any:
        if not 0 < len(coin_ids) <= MARKETS_MAX_IDS:
            raise ValueError(f"ask for 1..{MARKETS_MAX_IDS} coins per call, not {len(coin_ids)}")
        params = {
            "vs_currency": "usd",
            "ids": ",".join(coin_ids),
            "order": "market_cap_desc",
            "per_page": str(MARKETS_MAX_IDS),
            "page": "1",
            "sparkline": "false",
            "precision": "full",
        }
        return self._get("/coins/markets", params, "markets")

    def ohlc(self, coin_id: str, days: int) -> Any:
        params = {"vs_currency": "usd", "days": str(days)}
        return self._get(f"/coins/{quote(coin_id, safe='')}/ohlc", params, coin_id)

    def _get(self, path: str, params: dict[str, str], subject: str) -> Any:
        """GET with retries; ``subject`` names the request in logs and errors."""
        attempt = 0
        while True:
            attempt += 1
            self.limiter.acquire()
            status: int | None = None
            try:
                response = self._session.get(
                    self.base_url + path, params=params, timeout=TIMEOUT_SECONDS
                )
            except requests.RequestException as error:
                reason, wait = type(error).__name__, backoff_seconds(attempt)
            else:
                status = response.status_code
                if response.ok:
                    try:
                        return response.json()
                    except ValueError:
                        reason, wait = "unreadable JSON", backoff_seconds(attempt)
                else:
                    reason = f"HTTP {status}: {_error_text(response)}"
                    if status != 429 and status < 500:
                        raise CoinGeckoError(f"{subject}: {reason}", status)
                    wait = _wait_after(response, attempt)
            self._before_retry(subject, attempt, status, reason, wait)

    def _before_retry(
        self, subject: str, attempt: int, status: int | None, reason: str, wait: float
    ) -> None:
        """Sleep before the next attempt, or raise CoinGeckoError if retrying must stop."""
        if attempt >= MAX_ATTEMPTS:
            raise CoinGeckoError(f"{subject}: {reason} (gave up after {attempt} attempts)", status)
        if wait > MAX_RETRY_AFTER_SECONDS:
            raise CoinGeckoError(f"{subject}: {reason} (asked to wait {wait:.0f} s)", status)
        if self._clock() + wait > self.retry_until:
            raise CoinGeckoError(f"{subject}: {reason} (the run's retry window is over)", status)
        log.warning(
            "CoinGecko request failed, retrying",
            extra=logs.fields(
                subject=subject, status=status, reason=reason, attempt=attempt, wait_seconds=wait
            ),
        )
        self._sleep(wait)


def _wait_after(response: requests.Response, attempt: int) -> float:
    """Seconds before retrying a 429 or 5xx: Retry-After if given, else the fallback."""
    asked = retry_after_seconds(response.headers.get("Retry-After"))
    if asked is not None:
        return asked
    return RATE_LIMIT_WAIT_SECONDS if response.status_code == 429 else backoff_seconds(attempt)


def _error_text(response: requests.Response) -> str:
    """CoinGecko's error message from a failed response, shortened."""
    try:
        body = response.json()
    except ValueError:
        return response.reason or "no message"
    if isinstance(body, dict):
        status = body.get("status")
        if isinstance(status, dict) and status.get("error_message"):
            return str(status["error_message"])[:200]
        if body.get("error"):
            return str(body["error"])[:200]
    return response.reason or "no message"
