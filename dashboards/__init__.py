"""Unit: the dashboards users read CoinPulse through, built as code.

``dashboards.grafana`` builds the Grafana Cloud dashboards (BigQuery data source) with
grafana-foundation-sdk and publishes them through Grafana's HTTP API; ``dashboards.local``
is the page ``coinpulse dashboard`` serves over the local warehouse's marts.
"""
