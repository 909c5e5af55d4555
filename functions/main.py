"""Cloud Run functions entry points; the logic lives in the packages beside this file.

Deploy each name as its own function (``--function`` / ``--entry-point``):

- ``coingecko_markets``: HTTP, called daily by Cloud Scheduler; /coins/markets -> lake.
- ``coingecko_ohlc``: HTTP, called daily by Cloud Scheduler; 30-minute candles -> lake.
"""

from __future__ import annotations

import os

import flask
import functions_framework

from coinpulse import logs
from functions.coingecko import handlers

logs.setup(os.environ.get("LOG_LEVEL", "INFO"))


@functions_framework.http
def coingecko_markets(request: flask.Request) -> tuple[dict[str, object], int]:
    """Load today's (or the requested date's) CoinGecko market snapshot into the lake."""
    return handlers.handle(request, "markets")


@functions_framework.http
def coingecko_ohlc(request: flask.Request) -> tuple[dict[str, object], int]:
    """Load the last day of 30-minute CoinGecko candles into the lake."""
    return handlers.handle(request, "ohlc")
