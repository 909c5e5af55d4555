"""The pipeline-health panels: is the data fresh, complete, and within BigQuery's quota?

Data freshness comes from the newest window in crypto_raw.stream_prices (the marts are
only as fresh as the last dbt run); missing trade ids and late trades per pair and hour
from mart_pipeline_health; dead letters from crypto_raw.dead_letters by stage (the mart
counts only those that name a pair); load jobs per table per day from BigQuery's
INFORMATION_SCHEMA.JOBS against the 1,500-a-day limit.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import common as cb
from grafana_foundation_sdk.builders import stat, table, timeseries
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as dm

from dashboards.grafana import queries
from dashboards.grafana.market import GREEN, RED, thresholds
from dashboards.grafana.variables import target

# Rows are queryable within 150 s of their window's end at p95 (docs/demo.md, Freshness):
# a newest window older than 180 s means the lane is behind, 600 s that it stalled.
FRESH_SECONDS = 180
STALE_SECONDS = 600
# A table past 80 % of its daily load jobs is one incident away from quotaExceeded.
QUOTA_WARNING_SHARE = 0.8


def data_freshness() -> stat.Panel:
    """Seconds since the newest 1-minute window closed, per coin."""
    return (
        stat.Panel()
        .title("Data freshness")
        .description("Seconds since each coin's newest loaded 1-minute window closed.")
        .with_target(target(queries.DATA_FRESHNESS, table=True))
        .unit("s")
        .reduce_options(cb.ReduceDataOptions().values(True).calcs([]))
        .thresholds(thresholds((None, GREEN), (FRESH_SECONDS, "orange"), (STALE_SECONDS, RED)))
        .color_mode(common.BigValueColorMode.BACKGROUND)
        .height(5)
        .span(24)
    )


def _counts(title: str, description: str, sql: str) -> timeseries.Panel:
    return (
        timeseries.Panel()
        .title(title)
        .description(description)
        .with_target(target(sql))
        .draw_style(common.GraphDrawStyle.BARS)
        .fill_opacity(60)
        .min(0)
        .decimals(0)
        .height(8)
        .span(12)
    )


def missing_trade_ids() -> timeseries.Panel:
    return _counts(
        "Missing trade ids",
        "Trade ids no window holds, or two windows hold, per pair and hour.",
        queries.MISSING_TRADE_IDS,
    )


def dead_letters() -> timeseries.Panel:
    return _counts(
        "Dead letters",
        "Inputs the pipeline could not read, per hour and stage.",
        queries.DEAD_LETTERS,
    )


def late_trades() -> timeseries.Panel:
    return _counts(
        "Late trades",
        "Trades that arrived after their window closed, per hour.",
        queries.LATE_TRADES,
    )


def load_jobs() -> table.Panel:
    """Load jobs per raw table per day, as a gauge against the daily limit."""
    limit = queries.LOAD_JOBS_PER_TABLE_PER_DAY
    gauge = common.TableBarGaugeCellOptions(mode=common.BarGaugeDisplayMode.GRADIENT)
    return (
        table.Panel()
        .title("Load jobs per table per day")
        .description(f"BigQuery allows {limit} load jobs per table per day, failed ones included.")
        .with_target(target(queries.LOAD_JOBS_PER_TABLE, table=True))
        .override_by_name(
            "load_jobs",
            [
                dm.DynamicConfigValue(id_val="custom.cellOptions", value=gauge),
                dm.DynamicConfigValue(id_val="min", value=0),
                dm.DynamicConfigValue(id_val="max", value=limit),
                dm.DynamicConfigValue(
                    id_val="thresholds",
                    value=thresholds((None, GREEN), (QUOTA_WARNING_SHARE * limit, RED)).build(),
                ),
            ],
        )
        .height(8)
        .span(12)
    )
