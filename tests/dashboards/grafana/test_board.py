"""The Grafana JSON, checked as Grafana and the BigQuery plugin will read it."""

import re
from pathlib import Path
from typing import Any

import hcl2
import pytest

from dashboards.grafana import board

ROOT = Path(__file__).resolve().parents[3]
PLUGIN = "grafana-bigquery-datasource"
# mart_ohlc's timeframes (the mart contract), finest first.
OHLC_TIMEFRAMES = ["1m", "5m", "15m", "1h", "1d"]
# Time columns of the tables no Terraform or dbt file partitions.
OTHER_TIME_COLUMNS = {"INFORMATION_SCHEMA.JOBS": "creation_time"}
DBT_PARTITION = re.compile(r"partition_by=day_partition\('(\w+)'\)")
# `${mart_dataset}.mart_ohlc` -> mart_ohlc; `region-${location}`.INFORMATION_SCHEMA.JOBS
TABLE_IN_SQL = re.compile(r"FROM `[^`]*\.(\w+)`|FROM `[^`]*`\.(INFORMATION_SCHEMA\.JOBS)")


def dbt_partition_columns() -> dict[str, str]:
    """Each mart's partition column, from its dbt model's config."""
    found = {}
    for model in (ROOT / "dbt" / "models" / "marts").glob("*.sql"):
        [column] = DBT_PARTITION.findall(model.read_text())
        found[model.stem] = column
    return found


def terraform_partition_columns() -> dict[str, str]:
    options = hcl2.SerializationOptions(
        strip_string_quotes=True, explicit_blocks=False, with_comments=False
    )
    with (ROOT / "terraform" / "bigquery.tf").open() as handle:
        document = hcl2.load(handle, serialization_options=options)
    return {
        table: settings["partition_field"]
        for block in document["locals"]
        for table, settings in block.get("raw_tables", {}).items()
    }


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    [only] = board.dashboards()
    return only


def panels(dashboard: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["title"]: p for p in dashboard["panels"] if p["type"] != "row"}


def sql_of(panel: dict[str, Any]) -> str:
    [target] = panel["targets"]
    sql: str = target["rawSql"]
    return sql


@pytest.mark.unit
def test_the_panels_are_the_seeds_six_the_candles_and_the_health_row(
    dashboard: dict[str, Any],
) -> None:
    kinds = {title: panel["type"] for title, panel in panels(dashboard).items()}
    assert kinds == {
        "Latest price": "stat",
        "Average price per minute": "timeseries",
        "Hourly volatility score": "timeseries",
        "Market cap rankings": "table",
        "Today's candles": "table",
        "24 h change %": "bargauge",
        "Candles: ${symbol} ${timeframe}": "candlestick",
        "Data freshness": "stat",
        "Missing trade ids": "timeseries",
        "Dead letters": "timeseries",
        "Late trades": "timeseries",
        "Load jobs per table per day": "table",
    }
    rows = [p["title"] for p in dashboard["panels"] if p["type"] == "row"]
    assert rows == ["Market", "Candles", "Pipeline health"]


@pytest.mark.unit
def test_it_refreshes_every_30_seconds_with_a_grafana_12_schema(dashboard: dict[str, Any]) -> None:
    assert dashboard["refresh"] == "30s"
    assert dashboard["uid"] == "coinpulse-markets" and len(dashboard["uid"]) <= 40
    assert dashboard["schemaVersion"] >= 41


@pytest.mark.unit
def test_every_query_is_raw_bigquery_sql_on_the_chosen_data_source(
    dashboard: dict[str, Any],
) -> None:
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == PLUGIN
    for title, panel in panels(dashboard).items():
        [target] = panel["targets"]
        assert target["datasource"] == {"type": PLUGIN, "uid": "${datasource}"}, title
        assert target["rawQuery"] is True and target["editorMode"] == "code", title
        assert target["format"] in (0, 1), title  # the plugin's QueryFormat: time series, table


@pytest.mark.unit
def test_every_variable_a_query_names_is_defined(dashboard: dict[str, Any]) -> None:
    defined = {v["name"] for v in dashboard["templating"]["list"]}
    for title, panel in panels(dashboard).items():
        named = set(re.findall(r"\$\{(\w+)\}", sql_of(panel) + title))
        assert named <= defined, (title, named - defined)


@pytest.mark.unit
def test_every_time_bounded_query_filters_its_partition_column(
    dashboard: dict[str, Any],
) -> None:
    time_columns = {
        **terraform_partition_columns(),
        **dbt_partition_columns(),
        **OTHER_TIME_COLUMNS,
    }
    for title, panel in panels(dashboard).items():
        sql = sql_of(panel)
        [names] = TABLE_IN_SQL.findall(sql)
        table = "".join(names)
        assert f"$__timeFilter({time_columns[table]})" in sql, (title, table)
        assert "coinpulse" not in sql.lower(), title  # no project baked in


@pytest.mark.unit
def test_the_average_price_axis_is_logarithmic(dashboard: dict[str, Any]) -> None:
    custom = panels(dashboard)["Average price per minute"]["fieldConfig"]["defaults"]["custom"]
    assert custom["scaleDistribution"] == {"type": "log", "log": 10}


@pytest.mark.unit
def test_the_volatility_score_is_a_green_to_red_gradient(dashboard: dict[str, Any]) -> None:
    defaults = panels(dashboard)["Hourly volatility score"]["fieldConfig"]["defaults"]
    assert defaults["color"]["mode"] == "continuous-GrYlRd"
    assert defaults["custom"]["gradientMode"] == "scheme"


@pytest.mark.unit
def test_the_latest_price_shows_its_direction_in_colour(dashboard: dict[str, Any]) -> None:
    options = panels(dashboard)["Latest price"]["options"]
    assert options["showPercentChange"] is True
    assert options["percentChangeColorMode"] == "standard"  # green up, red down


@pytest.mark.unit
def test_bearish_candles_mark_their_whole_row_red(dashboard: dict[str, Any]) -> None:
    panel = panels(dashboard)["Today's candles"]
    [override] = [
        o for o in panel["fieldConfig"]["overrides"] if o["matcher"]["options"] == "direction"
    ]
    properties = {p["id"]: p["value"] for p in override["properties"]}
    assert properties["custom.cellOptions"]["type"] == "color-background"
    assert properties["custom.cellOptions"]["applyToRow"] is True
    [mapping] = properties["mappings"]
    assert mapping["options"]["bearish"]["color"] == "red"
    assert "WHEN close_price < open_price THEN 'bearish'" in sql_of(panel)


@pytest.mark.unit
def test_the_candles_follow_the_timeframe_and_symbol_variables(dashboard: dict[str, Any]) -> None:
    panel = panels(dashboard)["Candles: ${symbol} ${timeframe}"]
    assert panel["options"]["mode"] == "candles+volume"
    sql = sql_of(panel)
    assert "timeframe = '${timeframe}'" in sql and "symbol = '${symbol}'" in sql
    assert {"AS open", "AS high", "AS low", "AS close", "AS volume"} <= set(
        re.findall(r"AS \w+", sql)
    )
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert [o["value"] for o in variables["timeframe"]["options"]] == OHLC_TIMEFRAMES
    assert variables["symbol"]["current"]["value"] == "BTCUSDT"


@pytest.mark.unit
def test_load_jobs_are_measured_against_the_daily_limit(dashboard: dict[str, Any]) -> None:
    panel = panels(dashboard)["Load jobs per table per day"]
    assert "`region-${location}`.INFORMATION_SCHEMA.JOBS" in sql_of(panel)
    [override] = panel["fieldConfig"]["overrides"]
    properties = {p["id"]: p["value"] for p in override["properties"]}
    assert properties["max"] == 1500  # BigQuery: load jobs per table per day


@pytest.mark.unit
def test_panels_have_unique_ids_and_do_not_overlap(dashboard: dict[str, Any]) -> None:
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(set(ids)) == len(ids)
    cells: set[tuple[int, int]] = set()
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        area = {
            (x, y)
            for x in range(grid["x"], grid["x"] + grid["w"])
            for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not area & cells, panel["title"]
        cells |= area
