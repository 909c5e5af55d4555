"""The bodies of the HTTP Cloud Run functions: parse the request, run one load, answer.

Cloud Scheduler POSTs to each function (in the cloud with an OIDC token that Cloud
Run checks before the function runs). A JSON body ``{"date": "YYYY-MM-DD"}`` or the
query ``?date=YYYY-MM-DD`` reruns that date; without one the run is for today's UTC
date. Answers:

- 200 with the run summary when every coin was loaded;
- 502 with the same summary when a coin still failed after the client's retries
  (everything that succeeded is written), so that Scheduler retries the job;
- 400 for a malformed date, and for a markets run of a date other than today's
  (CoinGecko's /coins/markets has no history; candles for a past date are allowed);
- 500 with ``{"error": ...}`` (logged as ERROR) when COINPULSE_LAKE is missing in
  Cloud Run or COINPULSE_PAIRS names an unmapped pair; 500 (raised) when the lake
  cannot be written.
"""

from __future__ import annotations

import logging
from typing import Any

import flask

from coinpulse import logs
from functions.coingecko.run import Misconfigured, Settings, check_date, parse_date, run_once

log = logging.getLogger(__name__)


def requested_date(request: flask.Request) -> str | None:
    """The ``date`` of the JSON body, else of the query string. Raises ValueError."""
    body = request.get_json(silent=True)
    if isinstance(body, dict) and body.get("date") is not None:
        value = body["date"]
        if not isinstance(value, str):
            raise ValueError(f"date must be a YYYY-MM-DD string, got {value!r}")
        return value
    return request.args.get("date")


def handle(request: flask.Request, kind: str) -> tuple[dict[str, Any], int]:
    """Run one load ("markets" or "ohlc") for the requested date; (summary, status)."""
    try:
        day = parse_date(requested_date(request))
        check_date(day, (kind,))
    except ValueError as error:
        return {"error": str(error)}, 400
    try:
        settings = Settings.from_env()
    except Misconfigured as error:
        log.error("CoinGecko function misconfigured", extra=logs.fields(reason=str(error)))
        return {"error": str(error)}, 500
    result = run_once(settings, day, kinds=(kind,))
    return result.summary(), 200 if result.ok else 502
