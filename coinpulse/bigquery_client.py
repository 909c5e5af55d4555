"""The one way CoinPulse builds a BigQuery client, for production and for the emulator.

Production uses the environment's credentials (Application Default Credentials).
With an API endpoint (``BIGQUERY_API_ENDPOINT``, a local BigQuery emulator) the client
goes there without credentials; that is the only difference.
"""

from __future__ import annotations

import os

from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

ENDPOINT_ENV = "BIGQUERY_API_ENDPOINT"


def connect(
    project: str | None = None, location: str | None = None, endpoint: str | None = None
) -> bigquery.Client:
    """A client for ``project`` (None: the environment's), at ``endpoint`` if given."""
    if endpoint:
        return bigquery.Client(
            project=project or os.environ.get("GOOGLE_CLOUD_PROJECT"),
            location=location,
            credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
            client_options=ClientOptions(api_endpoint=endpoint),
        )
    return bigquery.Client(project=project, location=location)


def from_env(project: str | None = None) -> bigquery.Client:
    """``connect`` configured by ``BIGQUERY_PROJECT`` (unless given), ``BIGQUERY_LOCATION``
    and ``BIGQUERY_API_ENDPOINT``."""
    return connect(
        project or os.environ.get("BIGQUERY_PROJECT") or None,
        os.environ.get("BIGQUERY_LOCATION") or None,
        os.environ.get(ENDPOINT_ENV) or None,
    )
