"""The dashboard variables and the BigQuery target every panel shares.

``${datasource}`` picks the BigQuery data source (one per GCP project: queries run in
its default project and processing location); ``${mart_dataset}`` and ``${raw_dataset}``
name the datasets Terraform creates; ``${location}`` is their BigQuery location (the
region qualifier of INFORMATION_SCHEMA); ``${timeframe}`` and ``${symbol}`` choose the
candles.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import bigquery as bq
from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.models import bigquery as bqm
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models.dashboard import VariableOption

from coinpulse import symbols

# The Grafana BigQuery data source's plugin id (grafana/google-bigquery-datasource).
PLUGIN_ID = "grafana-bigquery-datasource"
DATASOURCE = common.DataSourceRef(type_val=PLUGIN_ID, uid="${datasource}")

# The datasets of terraform/bigquery.tf, and the locations they may be in
# (var.bigquery_location, default US) as INFORMATION_SCHEMA's region qualifiers spell them.
MART_DATASET = "crypto_mart"
RAW_DATASET = "crypto_raw"
LOCATIONS = ("us", "eu")

# mart_ohlc's timeframes, finest first.
TIMEFRAMES = ("1m", "5m", "15m", "1h", "1d")


def _custom(name: str, label: str, values: tuple[str, ...]) -> db.CustomVariable:
    first = values[0]
    return (
        db.CustomVariable(name)
        .label(label)
        .values(",".join(values))
        .current(VariableOption(selected=True, text=first, value=first))
        .options([VariableOption(selected=v == first, text=v, value=v) for v in values])
    )


def all_variables() -> list[db.CustomVariable | db.DatasourceVariable | db.ConstantVariable]:
    """Every variable, in the order the dashboard shows them."""
    return [
        db.DatasourceVariable("datasource").label("BigQuery").type(PLUGIN_ID),
        db.ConstantVariable("mart_dataset").value(MART_DATASET),
        db.ConstantVariable("raw_dataset").value(RAW_DATASET),
        _custom("location", "Location", LOCATIONS),
        _custom("timeframe", "Timeframe", TIMEFRAMES),
        _custom("symbol", "Symbol", symbols.DEFAULT_PAIRS).allow_custom_value(True),
    ]


def target(sql: str, table: bool = False, ref_id: str = "A") -> bq.Dataquery:
    """A raw-SQL BigQuery query; time series frames unless ``table``."""
    return (
        bq.Dataquery()
        .ref_id(ref_id)
        .datasource(DATASOURCE)
        .editor_mode(bqm.EditorMode.CODE)
        .raw_query(True)
        .format(bqm.QueryFormat.TABLE if table else bqm.QueryFormat.TIMESERIES)
        .raw_sql(sql.strip())
    )
