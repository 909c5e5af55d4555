"""What Grafana sends BigQuery for a panel's SQL: variables, then the plugin's macros.

A panel's ``rawSql`` goes through two steps before BigQuery sees it. Grafana's frontend
replaces dashboard variables (``${name}`` and ``$name``) and the built-in ``$__interval``
and ``$__interval_ms``; then the BigQuery data source's backend
(grafana/google-bigquery-datasource, pkg/bigquery/macros.go, on macropro) expands the
``$__`` macros. This module does both, as those sources do, so tests can run a panel's
query on the BigQuery emulator:

- Comments (``--``, ``#``, ``/* */``) are blanked first, keeping lengths, outside string
  literals (backslash escapes) and backtick identifiers, so a macro in a comment stays
  unexpanded.
- ``$__timeFilter(col)``: ``col >= 'FROM' AND col <= 'TO'``; ``$__timeFrom(col)`` and
  ``$__timeTo(col)``: one side of it; ``$__timeFrom()``/``$__timeTo()`` (or bare):
  ``TIMESTAMP('FROM')``. Times are RFC 3339 UTC to the second (Go's time.RFC3339).
- ``$__timeGroup(col, interval)``: ``TIMESTAMP_MILLIS(DIV(UNIX_MILLIS(col), MS) * MS)``;
  month intervals (``1M``, ``3M``) bucket to calendar months.
- ``$__table`` and ``$__column`` are refused, as the plugin refuses them; unknown macros
  are left as they are.

Raises MacroError where the plugin answers an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

# gtime.ParseInterval's units, in milliseconds (grafana-plugin-sdk-go backend/gtime).
UNIT_MILLIS = {
    "ms": 1,
    "s": 1000,
    "m": 60_000,
    "h": 3_600_000,
    "d": 86_400_000,
    "w": 604_800_000,
    "y": 31_536_000_000,
}
INTERVAL = re.compile(r"^(\d+)(ms|s|m|h|d|w|y)$")
VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")
COMMENT_OR_QUOTED = re.compile(
    r"(?P<quoted>'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"|`[^`]*`)"
    r"|(?P<comment>--[^\n]*|#[^\n]*|/\*.*?\*/)",
    re.DOTALL,
)


class MacroError(ValueError):
    """The plugin would refuse this query (bad or unsupported macro)."""


def interval_millis(text: str) -> int:
    """``5m`` -> 300000, as gtime.ParseInterval."""
    match = INTERVAL.match(text)
    if match is None:
        raise MacroError(f"error parsing interval {text}")
    return int(match[1]) * UNIT_MILLIS[match[2]]


def format_interval(millis: int) -> str:
    """gtime.FormatInterval: the largest unit that divides evenly, e.g. 60000 -> 1m."""
    for unit in ("y", "w", "d", "h", "m", "s"):
        if millis >= UNIT_MILLIS[unit] and millis % UNIT_MILLIS[unit] == 0:
            return f"{millis // UNIT_MILLIS[unit]}{unit}"
    return f"{millis}ms"


def substitute_variables(sql: str, values: Mapping[str, str]) -> str:
    """Grafana's frontend step: ``${name}`` and ``$name`` for each known name."""

    def replace(match: re.Match[str]) -> str:
        name = match[1] or match[2]
        return values.get(name, match[0])

    return VARIABLE.sub(replace, sql)


def blank_comments(sql: str) -> str:
    """Comments replaced by as many spaces, string literals and identifiers untouched."""

    def blank(match: re.Match[str]) -> str:
        return match[0] if match["quoted"] else " " * len(match[0])

    return COMMENT_OR_QUOTED.sub(blank, sql)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _time_group(args: list[str]) -> str:
    if len(args) < 2:
        raise MacroError("macro $__timeGroup needs time column and interval")
    column, interval = args[0], args[1].strip("'\"")
    if not column or not interval:
        raise MacroError("$__timeGroup needs a time column and a non-empty interval")
    if interval.endswith("M"):
        months = int(interval[:-1] or 1)
        if months == 1:
            return (
                f'TIMESTAMP((PARSE_DATE("%Y-%m-%d",CONCAT( CAST((EXTRACT(YEAR FROM {column})) '
                f"AS STRING),'-',CAST((EXTRACT(MONTH FROM {column})) AS STRING),'-','01'))))"
            )
        return (
            f"TIMESTAMP(DATE(EXTRACT(YEAR FROM {column}), CAST(FLOOR((EXTRACT(MONTH FROM "
            f"{column}) - 1) / {months}) * {months} + 1 AS INT64), 1))"
        )
    millis = interval_millis(interval)
    return f"TIMESTAMP_MILLIS(DIV(UNIX_MILLIS({column}), {millis}) * {millis})"


def _find_macros(sql: str, name: str) -> list[tuple[str, list[str] | None]]:
    """Each ``$__name`` with its arguments (None when it has no parentheses), matching
    nested parentheses as sqlutil's getMacroMatches does."""
    found: list[tuple[str, list[str] | None]] = []
    for match in re.finditer(rf"\$__{name}\b", sql):
        rest = sql[match.end() :]
        if not rest.startswith("("):
            found.append((match[0], None))
            continue
        depth = 0
        for index, char in enumerate(rest):
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth == 0:
                inner = rest[1:index]
                found.append((match[0] + rest[: index + 1], [a.strip() for a in inner.split(",")]))
                break
    return found


def expand_macros(sql: str, time_from: datetime, time_to: datetime, interval: timedelta) -> str:
    """The plugin's backend step, on SQL whose variables are already replaced."""
    start, end = _rfc3339(time_from), _rfc3339(time_to)
    interval_ms = int(interval.total_seconds() * 1000)

    def bound(name: str, op: str, moment: str) -> Callable[[list[str] | None], str]:
        def expand(args: list[str] | None) -> str:
            if args is None or args == [""]:
                return f"TIMESTAMP('{moment}')"
            if len(args) == 1:
                return f"{args[0]} {op} '{moment}'"
            raise MacroError(f"{name} accepts at most 1 argument (column name)")

        return expand

    def time_filter(args: list[str] | None) -> str:
        if args is None or len(args) != 1 or not args[0]:
            raise MacroError("$__timeFilter expects 1 argument (column name)")
        return f"{args[0]} >= '{start}' AND {args[0]} <= '{end}'"

    def refuse(name: str) -> Callable[[list[str] | None], str]:
        def expand(args: list[str] | None) -> str:
            raise MacroError(f"${name} macro is not supported")

        return expand

    macros: dict[str, Callable[[list[str] | None], str]] = {
        "timeFilter": time_filter,
        "timeFrom": bound("$__timeFrom", ">=", start),
        "timeTo": bound("$__timeTo", "<=", end),
        "timeGroup": lambda args: _time_group(args or []),
        "interval_ms": lambda args: str(interval_ms),
        "interval": lambda args: format_interval(interval_ms),
        "table": refuse("__table"),
        "column": refuse("__column"),
    }
    expanded = blank_comments(sql)
    for name, expand in macros.items():
        for text, args in _find_macros(expanded, name):
            expanded = expanded.replace(text, expand(args))
    return expanded


def grafana_query(
    raw_sql: str,
    variables: Mapping[str, str],
    time_from: datetime,
    time_to: datetime,
    interval: timedelta = timedelta(minutes=1),
) -> str:
    """The SQL BigQuery receives for ``raw_sql`` over [time_from, time_to]."""
    builtins = {
        "__interval": format_interval(int(interval.total_seconds() * 1000)),
        "__interval_ms": str(int(interval.total_seconds() * 1000)),
    }
    return expand_macros(
        substitute_variables(raw_sql, {**builtins, **variables}), time_from, time_to, interval
    )
