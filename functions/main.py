"""Cloud Run functions entry points; the logic lives in the packages beside this file.

Deploy each name as its own function (``--function`` / ``--entry-point``):

- ``coingecko_markets``: HTTP, called daily by Cloud Scheduler; /coins/markets -> lake.
- ``coingecko_ohlc``: HTTP, called daily by Cloud Scheduler; 30-minute candles -> lake.
- ``on_finalize``: CloudEvent ``google.cloud.storage.object.v1.finalized`` from the
  lake bucket; the object -> its warehouse table, exactly once (docs/loader.md).
"""

from __future__ import annotations

import os

import flask
import functions_framework
from cloudevents.http import CloudEvent

from coinpulse import logs
from functions.coingecko import handlers
from functions.loader import handler

logs.setup(os.environ.get("LOG_LEVEL", "INFO"))


@functions_framework.http
def coingecko_markets(request: flask.Request) -> tuple[dict[str, object], int]:
    """Load today's (or the requested date's) CoinGecko market snapshot into the lake."""
    return handlers.handle(request, "markets")


@functions_framework.http
def coingecko_ohlc(request: flask.Request) -> tuple[dict[str, object], int]:
    """Load the last day of 30-minute CoinGecko candles into the lake."""
    return handlers.handle(request, "ohlc")


@functions_framework.cloud_event
def on_finalize(cloud_event: CloudEvent) -> None:
    """Load a finalized lake object into its warehouse table, exactly once.

    Returns (the event is acknowledged) when the object was loaded, had been loaded
    already, is not data, was quarantined as bad, or the event is too old to retry.
    Raises on transient errors, so that Eventarc delivers the event again.
    """
    handler.handle(cloud_event, handler.loader_from_env())
