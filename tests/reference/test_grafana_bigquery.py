"""The expansion matches the BigQuery plugin's own cases (pkg/bigquery/macros_test.go)."""

from datetime import UTC, datetime, timedelta

import pytest

from reference.grafana_bigquery import MacroError, expand_macros, grafana_query

FROM = datetime(2023, 1, 1, tzinfo=UTC)
TO = datetime(2023, 1, 2, tzinfo=UTC)
FIVE_MINUTES = timedelta(minutes=5)
MONTH = (
    'TIMESTAMP((PARSE_DATE("%Y-%m-%d",CONCAT( CAST((EXTRACT(YEAR FROM created_at)) AS STRING)'
    ",'-',CAST((EXTRACT(MONTH FROM created_at)) AS STRING),'-','01'))))"
)

PLUGIN_CASES = [
    (
        "SELECT $__timeGroup(created_at, 1w) FROM t",
        "SELECT TIMESTAMP_MILLIS(DIV(UNIX_MILLIS(created_at), 604800000) * 604800000) FROM t",
    ),
    (
        "SELECT $__timeGroup(created_at, 1d) FROM t",
        "SELECT TIMESTAMP_MILLIS(DIV(UNIX_MILLIS(created_at), 86400000) * 86400000) FROM t",
    ),
    ("SELECT $__timeGroup(created_at, 1M) FROM t", f"SELECT {MONTH} FROM t"),
    ("SELECT $__timeGroup(created_at, '1M') FROM t", f"SELECT {MONTH} FROM t"),
    (
        "SELECT $__timeGroup(created_at, 3M) FROM t",
        "SELECT TIMESTAMP(DATE(EXTRACT(YEAR FROM created_at), CAST(FLOOR((EXTRACT(MONTH FROM "
        "created_at) - 1) / 3) * 3 + 1 AS INT64), 1)) FROM t",
    ),
    (
        "SELECT * FROM t WHERE $__timeFilter(created_at)",
        "SELECT * FROM t WHERE created_at >= '2023-01-01T00:00:00Z' "
        "AND created_at <= '2023-01-02T00:00:00Z'",
    ),
    (
        "SELECT * FROM t WHERE $__timeFrom(created_at)",
        "SELECT * FROM t WHERE created_at >= '2023-01-01T00:00:00Z'",
    ),
    (
        "SELECT * FROM t WHERE $__timeTo(created_at)",
        "SELECT * FROM t WHERE created_at <= '2023-01-02T00:00:00Z'",
    ),
    (
        "SELECT $__timeFrom() AS period_start FROM t",
        "SELECT TIMESTAMP('2023-01-01T00:00:00Z') AS period_start FROM t",
    ),
    (
        "SELECT $__timeFrom AS period_start FROM t",
        "SELECT TIMESTAMP('2023-01-01T00:00:00Z') AS period_start FROM t",
    ),
    (
        "SELECT * FROM t WHERE ts BETWEEN $__timeFrom() AND $__timeTo()",
        "SELECT * FROM t WHERE ts BETWEEN TIMESTAMP('2023-01-01T00:00:00Z') "
        "AND TIMESTAMP('2023-01-02T00:00:00Z')",
    ),
    ("SELECT '$__interval' FROM t", "SELECT '5m' FROM t"),
    ("SELECT $__interval_ms FROM t", "SELECT 300000 FROM t"),
    ("SELECT $__unknown(created_at) FROM t", "SELECT $__unknown(created_at) FROM t"),
    (
        "SELECT 1 FROM t -- $__timeFilter(created_at)",
        "SELECT 1 FROM t " + " " * len("-- $__timeFilter(created_at)"),
    ),
    (
        "SELECT 1 /* $__timeFilter(created_at) */ FROM t",
        "SELECT 1 " + " " * len("/* $__timeFilter(created_at) */") + " FROM t",
    ),
    (
        "SELECT `claim #1`, $__timeFrom(created_at) FROM t",
        "SELECT `claim #1`, created_at >= '2023-01-01T00:00:00Z' FROM t",
    ),
]


@pytest.mark.unit
@pytest.mark.parametrize(("raw", "expected"), PLUGIN_CASES)
def test_macros_expand_as_the_plugin_expands_them(raw: str, expected: str) -> None:
    assert expand_macros(raw, FROM, TO, FIVE_MINUTES) == expected


@pytest.mark.unit
@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("SELECT $__column FROM t", "$__column macro is not supported"),
        ("SELECT * FROM $__table", "$__table macro is not supported"),
        ("SELECT $__timeGroup(created_at) FROM t", "needs time column and interval"),
        ("SELECT $__timeGroup(created_at, banana) FROM t", "error parsing interval banana"),
        ("SELECT * FROM t WHERE $__timeFrom(a, b)", "accepts at most 1 argument"),
    ],
)
def test_the_plugins_refusals_are_errors(raw: str, message: str) -> None:
    with pytest.raises(MacroError, match=message.replace("$", r"\$")):
        expand_macros(raw, FROM, TO, FIVE_MINUTES)


@pytest.mark.unit
def test_variables_are_replaced_before_the_macros_and_unknown_ones_stay() -> None:
    raw = (
        "SELECT $__timeGroup(ts, $__interval) AS time FROM `${dataset}.t` "
        "WHERE symbol = '$symbol' AND $__timeFilter(ts) AND x = '${unset}'"
    )
    sql = grafana_query(raw, {"dataset": "crypto_mart", "symbol": "BTCUSDT"}, FROM, TO)
    assert sql == (
        "SELECT TIMESTAMP_MILLIS(DIV(UNIX_MILLIS(ts), 60000) * 60000) AS time "
        "FROM `crypto_mart.t` WHERE symbol = 'BTCUSDT' AND "
        "ts >= '2023-01-01T00:00:00Z' AND ts <= '2023-01-02T00:00:00Z' AND x = '${unset}'"
    )
