"""Binance REST for gap backfill: GET /api/v3/historicalTrades, within request weights.

historicalTrades serves trades by id (``fromId``, up to 1000 per call), the same id
space as the ``@trade`` stream. Since 2023-07-11 it needs no API key (an
``X-MBX-APIKEY`` is sent when configured, e.g. for Binance.US). The market-data-only
host data-api.binance.vision does not serve it; use api.binance.com or a mirror.

Answers, classified (rest-api.md, "HTTP Return Codes"):
- 429 and 418 wait the ``Retry-After`` the server gives (418 is an IP ban, the wait
  can be long), then retry;
- 5xx, 408, network errors, timeouts and a 200 whose body is not a JSON array
  (a truncated answer) back off (capped, jittered) and retry, forever;
- any other 4xx (400 bad parameter, 401/403 key or permission, 404, 451 restricted
  location) is permanent for that request: counted in ``rest_rejected`` and raised
  as RestRejected.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from typing import Any

import aiohttp

from coinpulse import logs
from relay.backoff import Backoff
from relay.stats import RelayStats

log = logging.getLogger(__name__)

HISTORICAL_TRADES_WEIGHT = 25  # rest-api.md, since 2024-04-04
HISTORICAL_TRADES_MAX_LIMIT = 1000  # rest-api.md
IP_WEIGHT_LIMIT = 6000  # REQUEST_WEIGHT per minute per IP, CHANGELOG 2023-08-25
DEFAULT_WEIGHT_BUDGET = IP_WEIGHT_LIMIT // 2  # leave half for anything else on the same IP
USED_WEIGHT_HEADER = "X-MBX-USED-WEIGHT-1M"
DEFAULT_RETRY_AFTER = 60.0  # s, when a 429/418 comes without Retry-After
REQUEST_TIMEOUT = 10.0  # s, Binance's own API timeout (rest-api.md)
THROTTLED = (418, 429)  # rest-api.md: 429 rate limit, 418 IP ban after ignoring 429s
TRANSIENT_CLIENT_ERRORS = (408,)  # Request Timeout (RFC 9110 15.5.9): retrying is right


class RestRejected(RuntimeError):
    """The exchange refused the request permanently (4xx other than 418/429)."""


class WeightBudget:
    """A sliding one-minute window of spent request weight."""

    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self._spent: deque[tuple[float, int]] = deque()
        self.pause_until = 0.0

    def wait_time(self, weight: int, now: float) -> float:
        while self._spent and now - self._spent[0][0] >= 60:
            self._spent.popleft()
        used = sum(w for _, w in self._spent)
        wait = max(0.0, self.pause_until - now)
        if used + weight > self.per_minute and self._spent:
            wait = max(wait, 60 - (now - self._spent[0][0]))
        return wait

    def spend(self, weight: int, now: float) -> None:
        self._spent.append((now, weight))


class HistoricalTrades:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        stats: RelayStats,
        weight_budget: int = DEFAULT_WEIGHT_BUDGET,
        api_key: str | None = None,
    ):
        self._session = session
        self._url = base_url.rstrip("/") + "/api/v3/historicalTrades"
        self._stats = stats
        self._budget = WeightBudget(weight_budget)
        self._headers = {"X-MBX-APIKEY": api_key} if api_key else {}

    async def fetch(self, pair: str, from_id: int, limit: int) -> list[dict[str, Any]]:
        """Trades of ``pair`` with id >= from_id (at most ``limit``), retrying until answered."""
        params = {
            "symbol": pair,
            "fromId": str(from_id),
            "limit": str(min(limit, HISTORICAL_TRADES_MAX_LIMIT)),
        }
        backoff = Backoff()
        while True:
            wait = self._budget.wait_time(HISTORICAL_TRADES_WEIGHT, time.monotonic())
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            self._budget.spend(HISTORICAL_TRADES_WEIGHT, time.monotonic())
            self._stats.rest_requests += 1
            try:
                async with self._session.get(
                    self._url,
                    params=params,
                    headers=self._headers,
                    timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
                ) as response:
                    self._note_used_weight(response)
                    body = await response.text()
                    if response.status == 200:
                        return _rows(body)
                    if response.status in THROTTLED:
                        await self._throttled(response, pair)
                        continue
                    if 400 <= response.status < 500 and response.status not in (
                        TRANSIENT_CLIENT_ERRORS
                    ):
                        self._stats.rest_rejected += 1
                        raise RestRejected(
                            f"{response.status} for {pair} fromId={from_id}: {body[:200]}"
                        )
                    log.warning(
                        "REST error answer, retrying",
                        extra=logs.fields(status=response.status, pair=pair, body=body[:200]),
                    )
            except (aiohttp.ClientError, TimeoutError, ValueError) as error:
                log.warning(
                    "REST request failed, retrying", extra=logs.fields(error=repr(error), pair=pair)
                )
            await asyncio.sleep(backoff.next_delay())

    async def _throttled(self, response: aiohttp.ClientResponse, pair: str) -> None:
        self._stats.rest_throttled += 1
        try:
            retry_after = float(response.headers.get("Retry-After", DEFAULT_RETRY_AFTER))
        except ValueError:
            retry_after = DEFAULT_RETRY_AFTER
        log.warning(
            "REST rate limited, waiting Retry-After",
            extra=logs.fields(status=response.status, retry_after_s=retry_after, pair=pair),
        )
        self._budget.pause_until = time.monotonic() + retry_after
        await asyncio.sleep(retry_after)

    def _note_used_weight(self, response: aiohttp.ClientResponse) -> None:
        used = response.headers.get(USED_WEIGHT_HEADER)
        if used and used.isdigit() and int(used) >= IP_WEIGHT_LIMIT * 0.9:
            # Someone else on this IP is spending weight: wait for the next minute.
            self._budget.pause_until = max(
                self._budget.pause_until, time.monotonic() + 60 - time.time() % 60
            )


def _rows(body: str) -> list[dict[str, Any]]:
    """The rows of a 200 answer. Raises ValueError for a body that is not a JSON array."""
    rows = json.loads(body)
    if not isinstance(rows, list):
        raise ValueError(f"historicalTrades answered {type(rows).__name__}, not an array")
    return rows
