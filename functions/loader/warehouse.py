"""The warehouse a finalized object loads into: one interface, two implementations.

``BigQueryWarehouse`` (functions/loader/bigquery_warehouse.py) runs load jobs in
production; the deployed function builds it in ``handler.loader_from_env``. The
local stack plugs in ``DuckDBWarehouse`` (commands/duckdb_warehouse.py) instead
(commands/stack/loader_function.py). Both keep the same promise: one object
generation is loaded exactly once however often its event arrives, a bad object
raises ``BadObject`` (the caller quarantines it), and anything else that goes wrong
raises, so that the event is retried.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass

from coinpulse import lake
from functions.loader.events import StorageObject


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What a load did: its job id, the rows it wrote, whether it had already run."""

    job_id: str
    rows: int | None
    already_loaded: bool = False


class Warehouse(abc.ABC):
    """Loads one object generation into its route's table, exactly once."""

    @abc.abstractmethod
    def load(self, source: StorageObject, target: lake.Target) -> LoadResult:
        """Load the object. Raises objects.BadObject for an object that can never load;
        any other exception means "try again later"."""
