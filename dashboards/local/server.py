"""The dashboard's web server: one static page and a JSON endpoint per panel.

    GET /                        the page (static/index.html), its script and styles
    GET /api/latest              each pair's newest price, direction, market context
    GET /api/candles?symbol=BTCUSDT&timeframe=1m[&since=EPOCH]
    GET /api/prices[?since=EPOCH]      average price per minute, every pair
    GET /api/volatility          each pair's newest hourly volatility score
    GET /api/day-candles?symbol=BTCUSDT   the last hourly candles, direction marked
    GET /api/health              freshness, verify's results, the last day's pipeline
                                 health per pair, dead letters

Answers are ``{"rows": [...], "stale": bool}`` (stale: the warehouse could not
answer and these are the last good rows, answers.py); /api/health holds one such
answer (or ``{"error": ...}``) per part. Each carries an ETag, and a request whose
If-None-Match matches gets 304 without a body. A bad parameter is 400; a warehouse
that cannot answer a query it never answered before is 503 with the reason; the
page shows either and asks again on its next refresh. Queries run on worker
threads, so a slow warehouse never blocks the other requests.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiohttp import web

from dashboards.local import queries
from dashboards.local.answers import Answer, Answers, Unavailable
from dashboards.local.queries import BadRequest, Dialect, Query

STATIC = Path(__file__).with_name("static")
# Binance pair names: upper-case letters and digits (coinpulse.symbols holds the known ones).
SYMBOL = re.compile(r"^[A-Z0-9]{2,20}$")
# The page's refresh period: a new 1-minute window reaches the warehouse within
# about 2 minutes of its end (docs/demo.md), so 5 s shows it promptly at a small cost.
REFRESH_SECONDS = 5

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _plain(value: object) -> object:
    """JSON for the warehouse's numbers and times (Decimal, datetime, date)."""
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


def _json(request: web.Request, payload: object, status: int = 200) -> web.Response:
    body = json.dumps(payload, default=_plain, separators=(",", ":")).encode()
    etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if status == 200 and request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, status=status, content_type="application/json", headers=headers)


def _symbol(request: web.Request) -> str:
    text = request.query.get("symbol", "")
    if not SYMBOL.match(text):
        raise BadRequest(f"symbol {text!r}: give a pair such as BTCUSDT")
    return text


def _shown(answer: Answer) -> dict[str, Any]:
    return {"rows": answer.rows, "stale": answer.stale}


class Dashboard:
    """The routes over one warehouse (``dialect`` spells its SQL)."""

    def __init__(
        self, answers: Answers, dialect: Dialect, title: str, pairs: Sequence[str] = ()
    ) -> None:
        self.answers = answers
        self.dialect = dialect
        self.title = title
        self.pairs = list(pairs)  # the tracked pairs: the selector's choice until prices arrive

    async def _ask(self, query: Query) -> Answer:
        return await asyncio.to_thread(self.answers.ask, query)

    def _panel(self, build: Callable[[web.Request], Query]) -> Handler:
        async def handle(request: web.Request) -> web.StreamResponse:
            try:
                answer = await self._ask(build(request))
            except BadRequest as error:
                return _json(request, {"error": str(error)}, 400)
            except Unavailable as error:
                return _json(request, {"error": str(error)}, 503)
            return _json(request, _shown(answer))

        return handle

    async def health(self, request: web.Request) -> web.StreamResponse:
        parts = {
            "freshness": queries.freshness(self.dialect),
            "completeness": queries.completeness(self.dialect),
            "pipeline": queries.pipeline_health(self.dialect),
            "dead_letters": queries.dead_letters(self.dialect),
        }
        shown: dict[str, Any] = {}
        for name, query in parts.items():
            try:
                shown[name] = _shown(await self._ask(query))
            except Unavailable as error:
                shown[name] = {"error": str(error)}
        return _json(request, shown)

    async def config(self, request: web.Request) -> web.StreamResponse:
        return _json(
            request,
            {
                "title": self.title,
                "timeframes": queries.TIMEFRAMES,
                "pairs": self.pairs,
                "refresh_seconds": REFRESH_SECONDS,
            },
        )

    async def index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    def app(self) -> web.Application:
        d = self.dialect
        application = web.Application()
        application.add_routes(
            [
                web.get("/", self.index),
                web.get("/api/config", self.config),
                web.get("/api/latest", self._panel(lambda r: queries.latest(d))),
                web.get(
                    "/api/candles",
                    self._panel(
                        lambda r: queries.candles(
                            d,
                            _symbol(r),
                            queries.timeframe(r.query.get("timeframe")),
                            queries.since(r.query.get("since")),
                        )
                    ),
                ),
                web.get(
                    "/api/prices",
                    self._panel(
                        lambda r: queries.average_prices(d, queries.since(r.query.get("since")))
                    ),
                ),
                web.get("/api/volatility", self._panel(lambda r: queries.volatility(d))),
                web.get(
                    "/api/day-candles", self._panel(lambda r: queries.day_candles(d, _symbol(r)))
                ),
                web.get("/api/health", self.health),
                web.static("/static", STATIC),
            ]
        )
        return application
