"""Partial CoinGecko runs of one date, loaded into the DuckDB warehouse as the loader does."""

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from coinpulse import lake
from commands import warehouse_db
from commands.duckdb_warehouse import DuckDBWarehouse
from functions.coingecko.client import HttpCoinGecko
from functions.coingecko.run import run
from functions.loader import events
from standins.coingecko import StandIn

pytestmark = pytest.mark.integration

COINS = ("bitcoin", "ethereum", "solana")


def run_and_load(
    standin: StandIn, lake_objects: Any, samples: Any, warehouse: DuckDBWarehouse, at: datetime
) -> bool:
    """One markets run at ``at`` into the lake bucket, its finalize event delivered twice."""
    day = at.date()
    with HttpCoinGecko(standin.base_url, sleep=lambda _: None) as client:
        result = run(
            client,
            f"gs://{samples.BUCKET}",
            day,
            kinds=("markets",),
            coin_ids=COINS,
            now=lambda: at,
        )
    name = lake.coingecko_object(lake.COINGECKO_MARKETS, day)
    blob = lake_objects.client.bucket(samples.BUCKET).get_blob(name)
    source = events.parse(samples.finalize_event(name, int(blob.generation)))
    target = lake.resolve(name)
    assert target
    for _ in range(2):
        warehouse.load(source, target)
    return bool(result.ok)


def test_after_partial_runs_every_coin_keeps_its_latest_good_row(
    standin: StandIn, lake_objects: Any, samples: Any, tmp_path: Path, now: datetime
) -> None:
    warehouse = DuckDBWarehouse(tmp_path / "warehouse.duckdb", lake_objects.store)
    day, first, second = now.date(), now, now + timedelta(minutes=10)
    standin.unlisted = {"bitcoin"}
    assert not run_and_load(standin, lake_objects, samples, warehouse, first)  # 502: retried
    standin.unlisted = {"ethereum"}
    assert not run_and_load(standin, lake_objects, samples, warehouse, second)
    with warehouse_db.read(warehouse.path) as connection:
        stored = connection.execute(
            "SELECT coin_id, ingested_at FROM crypto_raw.coingecko_markets "
            "WHERE snapshot_date = ? ORDER BY coin_id",
            [day],
        ).fetchall()
    assert [(coin_id, ingested_at.astimezone(now.tzinfo)) for coin_id, ingested_at in stored] == [
        ("bitcoin", second),
        ("ethereum", first),
        ("solana", second),
    ]
