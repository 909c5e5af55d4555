"""The daily CoinGecko lane inside the local stack: once at start, then daily at 00:40 UTC.

It loads the coins of the stack's pairs (``--symbols``, default COINPULSE_PAIRS).
With ``COINGECKO_API_KEY`` set it calls CoinGecko; without, the local stand-in,
served from this process. The Parquet files go to ``gs://BUCKET/coingecko/...`` on
the GCS emulator (STORAGE_EMULATOR_HOST must be set in this process), where the
Eventarc stand-in announces them to the loader like every other object. A failed run is
retried as the schedule says (commands/stack/schedule.py); it never stops
the stack.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date

from coinpulse import symbols
from commands.stack.schedule import SCHEDULE_CRON, run_daily
from functions.coingecko.run import Settings, run_once
from standins.coingecko import StandIn

JOIN_SECONDS = 5.0  # a run in flight may be waiting on the rate limit; the thread is a daemon


@contextmanager
def running(bucket: str, pairs: Sequence[str]) -> Iterator[str]:
    """Run the lane for the coins of ``pairs`` in a thread while the context is open;
    yields a description of it. Raises UnknownSymbol for an unmapped pair."""
    settings = Settings.from_env()
    coin_ids = tuple(symbols.coin_ids(pairs))
    standin = None if settings.api_key else StandIn().start()
    settings = dataclasses.replace(
        settings,
        lake=f"gs://{bucket}",
        coin_ids=coin_ids,
        base_url=standin.base_url if standin else settings.base_url,
    )

    def job(day: date) -> bool:
        return run_once(settings, day).ok

    stop = threading.Event()
    thread = threading.Thread(
        target=run_daily, args=(job, stop), name="coingecko-daily", daemon=True
    )
    thread.start()
    source = f"stand-in {settings.base_url}" if standin else f"CoinGecko {settings.base_url}"
    try:
        yield f"{source}, at start and daily (cron {SCHEDULE_CRON} UTC) -> {settings.lake}"
    finally:
        stop.set()
        thread.join(JOIN_SECONDS)
        if standin:
            standin.close()
