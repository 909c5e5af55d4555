"""The loader as the local stack serves it: ``on_finalize`` over the DuckDB warehouse.

The same handler as the Cloud Run function (functions/loader/main.py), with the
warehouse swapped: DuckDB at $COINPULSE_HOME/warehouse.duckdb instead of BigQuery,
and the lake on the GCS emulator (STORAGE_EMULATOR_HOST). The stack serves it with
``functions-framework --source commands/stack/loader_function.py --target on_finalize``,
and the Eventarc stand-in (commands/stack/eventarc.py) POSTs it the same finalize CloudEvents.
"""

from __future__ import annotations

import functools
import os

import functions_framework
import google.cloud.storage as gcs  # a from-import defeats mypy beside google.cloud.bigquery
from cloudevents.http import CloudEvent

from coinpulse import logs
from commands import warehouse_db
from commands.duckdb_warehouse import DuckDBWarehouse
from functions.loader import handler
from functions.loader.store import GcsStore

logs.setup(os.environ.get("LOG_LEVEL", "INFO"))


@functools.cache
def local_loader() -> handler.Loader:
    """The process-wide loader over the local warehouse and the emulated lake."""
    storage = GcsStore(gcs.Client())
    return handler.Loader(DuckDBWarehouse(warehouse_db.default_path(), storage), storage)


@functions_framework.cloud_event
def on_finalize(cloud_event: CloudEvent) -> None:
    """Load a finalized object into the local warehouse, exactly once (see handler.handle)."""
    handler.handle(cloud_event, local_loader())
