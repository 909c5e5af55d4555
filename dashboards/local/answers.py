"""Asking the warehouse, and keeping the last good answer for when it cannot say.

The warehouse is written while the dashboard reads it: the local DuckDB file is
locked for the length of each load and dbt build, BigQuery can fail a request.
The reader given to ``Answers`` (built by the composition root) waits a bounded
time and then raises ``Unavailable``; ``Answers`` then serves the last good rows
of the same query, marked stale, so the page keeps its picture and asks again on
its next refresh. A query that never succeeded raises ``Unavailable`` on.

Nothing is retried here: the page's next refresh is the retry.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dashboards.local.queries import Query

Row = dict[str, Any]
Reader = Callable[[Query], list[Row]]
# Distinct queries whose last answer is kept: each page asks about ten, and the
# incremental ones change their ``since`` once per new bucket.
KEPT_ANSWERS = 256


class Unavailable(RuntimeError):
    """The warehouse cannot answer now: locked past the wait, a table not built yet,
    the service refusing. The message says which."""


@dataclass(frozen=True)
class Answer:
    rows: list[Row]
    stale: bool  # the warehouse could not answer; these are the last good rows


class Answers:
    """Runs queries through ``reader``; thread-safe (queries run on worker threads)."""

    def __init__(self, reader: Reader, kept: int = KEPT_ANSWERS) -> None:
        self._reader = reader
        self._kept = kept
        self._last: OrderedDict[tuple[str, tuple[tuple[str, str], ...]], list[Row]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _key(query: Query) -> tuple[str, tuple[tuple[str, str], ...]]:
        return query.sql, tuple(sorted((name, repr(v)) for name, v in query.params.items()))

    def ask(self, query: Query) -> Answer:
        """The query's rows, or its last good rows (stale). Raises Unavailable."""
        key = self._key(query)
        try:
            rows = self._reader(query)
        except Unavailable:
            with self._lock:
                kept = self._last.get(key)
            if kept is None:
                raise
            return Answer(kept, stale=True)
        with self._lock:
            self._last[key] = rows
            self._last.move_to_end(key)
            while len(self._last) > self._kept:
                self._last.popitem(last=False)
        return Answer(rows, stale=False)
