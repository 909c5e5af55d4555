"""The CoinPulse dashboard: market, candles and pipeline-health rows, as Grafana JSON.

``dashboards()`` builds every dashboard (a dict per dashboard, the JSON model Grafana's
HTTP API takes); ``write`` stores each as ``<uid>.json``. The output is deterministic,
so the snapshot test under tests/ shows any change as a diff.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.cog.encoder import JSONEncoder

from dashboards.grafana import health, market
from dashboards.grafana.variables import all_variables

UID = "coinpulse-markets"  # Grafana uids are at most 40 characters
TITLE = "CoinPulse markets"
# The seed's dashboard refreshed every 30 s; Grafana Cloud's default minimum is 5 s.
REFRESH = "30s"
REFRESH_CHOICES = ["30s", "1m", "5m", "15m"]


def markets() -> db.Dashboard:
    dashboard = (
        db.Dashboard(TITLE)
        .uid(UID)
        .description("Live crypto prices, candles and pipeline health from the CoinPulse marts.")
        .tags(["coinpulse", "crypto", "bigquery"])
        .timezone("utc")
        .refresh(REFRESH)
        .time("now-6h", "now")
        .timepicker(db.TimePicker().refresh_intervals(REFRESH_CHOICES))
        .editable()
    )
    for variable in all_variables():
        dashboard = dashboard.with_variable(variable)
    return (
        dashboard.with_row(db.Row("Market"))
        .with_panel(market.latest_price())
        .with_panel(market.average_price_per_minute())
        .with_panel(market.hourly_volatility())
        .with_panel(market.market_cap_rankings())
        .with_panel(market.day_candles())
        .with_panel(market.change_24h())
        .with_row(db.Row("Candles"))
        .with_panel(market.candles())
        .with_row(db.Row("Pipeline health"))
        .with_panel(health.data_freshness())
        .with_panel(health.missing_trade_ids())
        .with_panel(health.dead_letters())
        .with_panel(health.late_trades())
        .with_panel(health.load_jobs())
    )


def as_json(dashboard: db.Dashboard) -> dict[str, Any]:
    """The dashboard model as plain JSON values, its panels numbered 1, 2, ... in order."""
    model = dashboard.build()
    for number, panel in enumerate(model.panels or [], start=1):
        panel.id_val = number
    loaded: dict[str, Any] = json.loads(json.dumps(model, cls=JSONEncoder))
    return loaded


def dashboards() -> list[dict[str, Any]]:
    """Every CoinPulse Grafana dashboard."""
    return [as_json(markets())]


def render(dashboard: dict[str, Any]) -> str:
    """The stable text form: sorted keys, two-space indent, final newline."""
    return json.dumps(dashboard, indent=2, sort_keys=True) + "\n"


def write(directory: Path) -> list[Path]:
    """Write every dashboard as ``directory/<uid>.json``; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for dashboard in dashboards():
        path = directory / f"{dashboard['uid']}.json"
        path.write_text(render(dashboard))
        written.append(path)
    return written
