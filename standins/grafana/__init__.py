"""A local Grafana HTTP API for tests: folders and dashboards, saved as Grafana saves them.

Run it in-process with ``StandIn(tokens=[...]).start()`` and point
``coinpulse grafana publish --url`` at its ``url``.
"""

from standins.grafana.server import Seen, StandIn

__all__ = ["Seen", "StandIn"]
