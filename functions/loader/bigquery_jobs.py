"""One step of a load (a load job, a MERGE) as a chain of attempts with deterministic ids.

Attempt n of a step has the id ``jobs.job_id(..., attempt=n)`` (``…``, ``…_a2``, ...).
The chain is found from the jobs that exist: the runner inserts attempt 1, or meets
409 Already Exists and fetches it; after a failed attempt n it fetches attempt n+1
(jobs.get) and inserts it only when it does not exist yet, and only once attempt n
is seen DONE with an error that a new attempt can fix:

- DONE without error: the step is done (already done when the job existed).
- PENDING or RUNNING: waited for up to JOB_WAIT_SECONDS, then
  ``concurrent.futures.TimeoutError``; the redelivered event finds the same job.
- fetching the job's state failed: that error is raised; the job may still run, so
  no other attempt starts.
- DONE, failed for the object's content (job_errors.CONTENT): ``objects.BadObject``,
  on every delivery (no new attempt can load those bytes).
- DONE, failed for a configuration or permission error: one ERROR line with
  ``alert: loader_configuration``, then ``ConfigurationError``; a later delivery
  starts the next attempt once its backoff has passed, so a fixed setup loads.
- DONE, failed transiently: the next attempt starts ``backoff(n)`` after attempt n
  ended, in this invocation when that fits its time budget, else ``BackingOff`` is
  raised and a redelivered event starts it.

Deliveries racing for attempt n+1 meet on its id: one inserts it, the others get 409
and wait for the same job. So one step never has two attempts running, and at most
one succeeds (attempt n+1 exists only after attempt n failed).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from google.api_core.exceptions import Conflict, GoogleAPICallError, NotFound

from coinpulse import lake, logs
from functions.loader import job_errors, jobs, objects
from functions.loader.events import StorageObject

log = logging.getLogger(__name__)

Job = Any  # bigquery.LoadJob or QueryJob (or what a fake client in tests returns)

# Event-driven functions may run 540 s (cloud.google.com/functions/docs/configuring/timeout;
# the deploy sets --timeout 540s). Waits and backoffs of one invocation end by then,
# leaving 60 s for the quarantine writes and the answer.
INVOCATION_SECONDS = 480.0
# A load of one flush period's JSONL takes seconds. A job still running after this
# is left to run: the retried event finds it by its id and waits again.
JOB_WAIT_SECONDS = 300.0
# Backoff before attempt n+1: 60 s doubling up to an hour ("retry with exponential
# backoff", cloud.google.com/bigquery/docs/error-messages).
FIRST_BACKOFF_SECONDS = 60.0
MAX_BACKOFF_SECONDS = 3600.0
# Attempt 10 starts 4 h 3 min after attempt 1 at the earliest (60+120+...+1920 s, then
# 3 h), past events.MAX_EVENT_AGE: the limit stops only events the handler drops
# anyway, and bounds the failed jobs one object spends of the 1,500 load jobs per
# table per day (cloud.google.com/bigquery/quotas#load_jobs).
MAX_ATTEMPTS = 10
# The ``alert`` field of ERROR lines that a log-based alert matches.
CONFIGURATION_ALERT = "loader_configuration"
EXHAUSTED_ALERT = "loader_attempts_exhausted"


class ConfigurationError(RuntimeError):
    """A job failed for the setup (table, schema, location, permissions); retried via the event."""


class BackingOff(RuntimeError):
    """The next attempt is not due within this invocation; a redelivered event starts it."""


class JobsFailed(RuntimeError):
    """MAX_ATTEMPTS attempts failed; the event is retried until the handler drops it as too old."""


@dataclass(frozen=True, slots=True)
class FailedAttempt:
    """An attempt seen DONE with an error that a later attempt can fix."""

    number: int
    job: Job
    failure: str  # job_errors.CONFIGURATION or TRANSIENT


def utc_now() -> datetime:
    return datetime.now(UTC)


def backoff(attempt: int) -> timedelta:
    """How long after attempt ``attempt`` ended the next one may start."""
    seconds = min(FIRST_BACKOFF_SECONDS * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS)
    return timedelta(seconds=seconds)


def describe(job: Job) -> str:
    """The job's errorResult and its first detailed errors, for logs and quarantine reports."""
    error = job.error_result or {}
    details = [
        str(item.get("message"))
        for item in (job.errors or [])[:3]
        if item.get("message") != error.get("message")
    ]
    return "; ".join([f"{error.get('reason')}: {error.get('message')}", *details])


class JobRunner:
    """Runs the attempts of one step; ``now`` and ``sleep`` are the wall clock and its wait."""

    def __init__(
        self,
        now: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.now = now
        self.sleep = sleep

    def run(
        self,
        kind: str,
        source: StorageObject,
        route: lake.Route,
        start: Callable[[str], Job],
        fetch: Callable[[str], Job],
    ) -> tuple[Job, bool]:
        """The step's successful job and whether it already existed (module docstring)."""
        deadline = self.now() + timedelta(seconds=INVOCATION_SECONDS)
        previous: FailedAttempt | None = None
        for attempt in range(1, MAX_ATTEMPTS + 1):
            job_id = jobs.job_id(
                route.table,
                source.bucket,
                source.name,
                source.generation,
                attempt=attempt,
                action=kind,
            )
            job = None if previous is None else self._find(fetch, job_id)
            existing = job is not None
            if job is None:
                if previous is not None:
                    self._back_off(previous, deadline, source, route)
                job, existing = self._start(start, fetch, job_id)
            self._wait(job, deadline)
            if not job.error_result:
                return job, existing
            failure = job_errors.classify(job.error_result)
            if failure == job_errors.CONTENT:
                raise objects.BadObject(f"{kind} job {job_id} failed: {describe(job)}")
            if not existing:  # a job that existed was logged by the delivery that ran it
                self._log_failure(job, attempt, failure, source)
            previous = FailedAttempt(attempt, job, failure)
        log.error(
            "every attempt of the BigQuery job failed; reload the object by hand",
            extra=logs.fields(
                **source.fields(), table=route.table, alert=EXHAUSTED_ALERT, attempts=MAX_ATTEMPTS
            ),
        )
        raise JobsFailed(f"{kind} of {source.uri}: {MAX_ATTEMPTS} attempts failed")

    @staticmethod
    def _log_failure(job: Job, attempt: int, failure: str, source: StorageObject) -> None:
        log.warning(
            "BigQuery job failed",
            extra=logs.fields(
                **source.fields(),
                job_id=job.job_id,
                attempt=attempt,
                failure=failure,
                reason=job.error_result.get("reason"),
                error=describe(job),
            ),
        )

    @staticmethod
    def _find(fetch: Callable[[str], Job], job_id: str) -> Job | None:
        """The job of that id, or None when it does not exist."""
        try:
            return fetch(job_id)
        except NotFound:
            return None

    @staticmethod
    def _start(
        start: Callable[[str], Job], fetch: Callable[[str], Job], job_id: str
    ) -> tuple[Job, bool]:
        """Insert the job, or fetch it when its id exists (409); whether it existed."""
        try:
            return start(job_id), False
        except Conflict:
            return fetch(job_id), True

    def _wait(self, job: Job, deadline: datetime) -> None:
        """Wait for the job to end; raises TimeoutError, or the polling error (job may run on)."""
        left = (deadline - self.now()).total_seconds()
        try:
            job.result(timeout=max(0.0, min(JOB_WAIT_SECONDS, left)))
        except GoogleAPICallError:
            if job.state != "DONE" or not job.error_result:
                raise

    def _back_off(
        self, failed: FailedAttempt, deadline: datetime, source: StorageObject, route: lake.Route
    ) -> None:
        """Return once the failed attempt is ``backoff`` old, or raise to be retried later."""
        job = failed.job
        due = (job.ended or self.now()) + backoff(failed.number)
        wait = (due - self.now()).total_seconds()
        if wait <= 0:
            return
        if failed.failure == job_errors.CONFIGURATION:
            log.error(
                "BigQuery job failed for the configuration; fix it, the event is retried",
                extra=logs.fields(
                    **source.fields(),
                    table=route.table,
                    job_id=job.job_id,
                    alert=CONFIGURATION_ALERT,
                    reason=job.error_result.get("reason"),
                    error=describe(job),
                    next_attempt_at=due.isoformat(),
                ),
            )
            raise ConfigurationError(f"configuration error in job {job.job_id}: {describe(job)}")
        if due > deadline:
            raise BackingOff(f"job {job.job_id} failed; the next attempt is due at {due}")
        self.sleep(wait)
