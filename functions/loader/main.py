"""The GCS-finalize loader, a Cloud Run function: ``on_finalize``.

Triggered by Eventarc with ``google.cloud.storage.object.v1.finalized`` events of
the lake bucket; each finalized object loads into its BigQuery table exactly once
(docs/loader.md). Deploy the directory that ``make package`` builds::

    gcloud functions deploy coinpulse-loader --gen2 --runtime python311 \\
      --source dist/functions/loader --entry-point on_finalize \\
      --trigger-bucket LAKE_BUCKET --retry ...
"""

from __future__ import annotations

import os

import functions_framework
from cloudevents.http import CloudEvent

from coinpulse import logs
from functions.loader import handler

logs.setup(os.environ.get("LOG_LEVEL", "INFO"))


@functions_framework.cloud_event
def on_finalize(cloud_event: CloudEvent) -> None:
    """Load a finalized lake object into its warehouse table, exactly once.

    Returns (the event is acknowledged) when the object was loaded, had been loaded
    already, is not data, was quarantined as bad, or the event is too old to retry.
    Raises on transient errors, so that Eventarc delivers the event again.
    """
    handler.handle(cloud_event, handler.loader_from_env())
