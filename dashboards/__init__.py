"""Dashboards over the marts: the local one served by ``coinpulse dashboard`` (local/)."""
