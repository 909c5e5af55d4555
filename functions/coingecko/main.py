"""The daily CoinGecko loads: HTTP Cloud Run functions ``coingecko_markets``, ``coingecko_ohlc``.

Cloud Scheduler calls each once a day (with an OIDC token); each writes one Parquet
object per date to the lake, which the loader then loads (docs/coingecko.md).
Deploy the directory that ``make package`` builds, once per entry point::

    gcloud functions deploy coinpulse-coingecko-markets --gen2 --runtime python311 \\
      --source dist/functions/coingecko --entry-point coingecko_markets \\
      --trigger-http --no-allow-unauthenticated ...
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
