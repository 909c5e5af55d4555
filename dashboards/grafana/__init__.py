"""The Grafana Cloud dashboards over the BigQuery marts, and their publishing.

``board.dashboards()`` builds every dashboard as Grafana JSON (the panels' SQL lives in
``queries``), ``board.write`` puts it under a folder (``make dashboards``: dashboards/build/),
and ``publish`` pushes it to a Grafana stack through the HTTP API, idempotently.
"""
