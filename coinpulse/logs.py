"""Structured JSON logs that Cloud Logging understands.

One JSON object per line on stderr with ``severity``, ``message``, ``time`` and the
logger name; extra fields passed as ``logging.info("...", extra={"fields": {...}})``
are merged in, so Cloud Logging shows them as jsonPayload fields.

Third-party loggers (apache_beam, urllib3, google, grpc, aiohttp, ...) only get
through at WARNING or above, unless the level is DEBUG: Beam alone logs thousands
of INFO lines ("Converting string literal type hint") per pipeline.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any


class CloudLoggingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "severity": record.levelname,
            "message": record.getMessage(),
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "logger": record.name,
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["stack_trace"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


# The packages of pyproject.toml's [tool.setuptools.packages.find], and scripts run as
# __main__; every other logger is third-party.
OWN_PACKAGES = frozenset(
    {
        "__main__",
        "beam_pipeline",
        "commands",
        "coinpulse",
        "functions",
        "reference",
        "relay",
        "standins",
    }
)


def is_own(logger_name: str) -> bool:
    return logger_name.partition(".")[0] in OWN_PACKAGES


class ThirdPartyAtWarning(logging.Filter):
    """Lets through our records and third-party records of WARNING or above."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or is_own(record.name)


def setup(level: str = "INFO") -> None:
    """Route the root logger to stderr as JSON lines (idempotent).

    Below DEBUG, third-party records under WARNING are dropped.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(CloudLoggingFormatter())
    if level.upper() != "DEBUG":
        handler.addFilter(ThirdPartyAtWarning())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


def fields(**values: Any) -> dict[str, Any]:
    """``extra=`` argument carrying structured fields for one log line."""
    return {"fields": values}
