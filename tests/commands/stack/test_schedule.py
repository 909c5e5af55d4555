"""The daily rhythm: after CoinGecko's 00:35 UTC publication, at start, failed runs retried."""

from datetime import UTC, date, datetime, timedelta

import pytest

from commands.stack import schedule

pytestmark = pytest.mark.unit

START = datetime(2026, 5, 18, 12, 49, tzinfo=UTC)


class FakeStop:
    """A stop event on a fake clock: waiting moves the clock; set after ``limit`` waits."""

    def __init__(self, limit: int) -> None:
        self.now = START
        self.waits: list[timedelta] = []
        self.limit = limit

    def is_set(self) -> bool:
        return len(self.waits) >= self.limit

    def wait(self, timeout: float | None = None) -> bool:
        assert timeout is not None
        self.waits.append(timedelta(seconds=timeout))
        self.now += timedelta(seconds=timeout)
        return self.is_set()


def test_the_run_is_after_coingeckos_daily_publication() -> None:
    assert schedule.SCHEDULE_CRON == "40 0 * * *"
    assert schedule.next_run(START) == datetime(2026, 5, 19, 0, 40, tzinfo=UTC)
    early = datetime(2026, 5, 18, 0, 10, tzinfo=UTC)
    assert schedule.next_run(early) == datetime(2026, 5, 18, 0, 40, tzinfo=UTC)
    on_time = datetime(2026, 5, 18, 0, 40, tzinfo=UTC)
    assert schedule.next_run(on_time) == on_time + timedelta(days=1)


def test_runs_at_start_then_daily_for_each_runs_own_date() -> None:
    stop = FakeStop(limit=3)
    days: list[date] = []

    def job(day: date) -> bool:
        days.append(day)
        return True

    schedule.run_daily(job, stop, now=lambda: stop.now)
    assert days == [date(2026, 5, 18), date(2026, 5, 19), date(2026, 5, 20)]
    assert stop.waits[0] == datetime(2026, 5, 19, 0, 40, tzinfo=UTC) - START
    assert stop.waits[1] == timedelta(days=1)


def test_a_failing_run_is_retried_then_left_to_the_next_day() -> None:
    stop = FakeStop(limit=schedule.RETRIES + 2)
    calls: list[date] = []

    def job(day: date) -> bool:
        calls.append(day)
        raise OSError("lake not writable")

    schedule.run_daily(job, stop, now=lambda: stop.now)
    assert calls == [date(2026, 5, 18)] * (schedule.RETRIES + 1) + [date(2026, 5, 19)]
    assert stop.waits[: schedule.RETRIES] == [schedule.RETRY_DELAY] * schedule.RETRIES
