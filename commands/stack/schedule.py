"""When the daily lane runs: Cloud Scheduler's cron, and the same rhythm for the local stack.

CoinGecko publishes the last completed UTC day's candles at 00:35 UTC, so the run is
at 00:40 UTC: its markets snapshot is labelled with that day, and its 48 candles
cover the whole of the day before. In the cloud, Cloud Scheduler calls each function
on ``SCHEDULE_CRON`` and retries a non-2xx answer ``RETRIES`` times, ``RETRY_DELAY``
apart. Locally, ``run_daily`` does the same in a thread: one run at start, then one
per day, failed runs retried alike.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from coinpulse import logs
from functions.coingecko.run import Clock, utc_now

log = logging.getLogger(__name__)

# docs.coingecko.com/reference/coins-id-ohlc: "The last completed UTC day (00:00) is
# available 35 minutes after midnight on the next UTC day (00:35)".
RUN_AT = time(0, 40, tzinfo=UTC)
SCHEDULE_CRON = "40 0 * * *"
SCHEDULE_TIME_ZONE = "Etc/UTC"
RETRIES = 3
RETRY_DELAY = timedelta(minutes=10)

Job = Callable[[date], bool]  # runs the lane for a date; True when every coin loaded


class Stop(Protocol):
    """What ``run_daily`` needs of a ``threading.Event``."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> bool: ...


def next_run(after: datetime) -> datetime:
    """The first RUN_AT strictly after ``after``."""
    today = datetime.combine(after.astimezone(UTC).date(), RUN_AT)
    return today if today > after else today + timedelta(days=1)


def attempt(job: Job, day: date) -> bool:
    """Run the job once; an exception counts as a failed run (logged, not raised)."""
    try:
        return job(day)
    except Exception:
        log.exception("CoinGecko run failed", extra=logs.fields(snapshot_date=day.isoformat()))
        return False


def run_daily(job: Job, stop: Stop, now: Clock = utc_now) -> None:
    """Run the job for today at once, then at every RUN_AT, until ``stop`` is set.

    A failed run is retried up to RETRIES times, RETRY_DELAY apart, for the same date.
    The local stack runs it in a thread, e.g. with
    ``job = lambda day: run_once(Settings.from_env(), day).ok`` and a threading.Event.
    """
    while not stop.is_set():
        day = now().date()
        ok = attempt(job, day)
        retries = 0
        while not ok and retries < RETRIES and not stop.wait(RETRY_DELAY.total_seconds()):
            retries += 1
            ok = attempt(job, day)
        moment = now()
        if stop.wait((next_run(moment) - moment).total_seconds()):
            return
