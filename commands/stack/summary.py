"""What the stack did: counts from the relay, the lake and the warehouse, as printable lines."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import google.cloud.storage as gcs  # a from-import defeats mypy beside google.cloud.bigquery
import requests

from coinpulse import completeness, lake, windows
from commands import verify, warehouse_db

COUNTS_SQL = f"""
SELECT
    (SELECT count(*) FROM crypto_raw.stream_prices) AS pane_rows,
    (SELECT count(*) FROM ({windows.best_windows_sql()})) AS windows,
    (SELECT coalesce(sum(trade_count), 0) FROM ({windows.best_windows_sql()})) AS window_trades,
    (SELECT count(*) FROM crypto_raw._load_ledger) AS objects_loaded,
    (SELECT count(*) FROM crypto_raw.dead_letters) AS dead_letters,
    (SELECT count(*) FROM crypto_raw.late_trades) AS late_trades,
    (SELECT count(*) FROM crypto_raw.coingecko_markets) AS coingecko_markets,
    (SELECT count(*) FROM crypto_raw.coingecko_ohlc_candles) AS coingecko_candles
"""


def relay_stats(url: str) -> dict[str, Any] | None:
    """The relay's /stats, or None when it does not answer."""
    try:
        response = requests.get(url, timeout=5)
        response.raise_for_status()
        stats: dict[str, Any] = response.json()
        return stats
    except (requests.RequestException, ValueError):
        return None


def warehouse_counts(path: Path) -> dict[str, int]:
    """Row counts of the warehouse (all zero before its first load)."""
    if not path.exists():
        return {}
    with warehouse_db.read(path) as connection:
        cursor = connection.execute(COUNTS_SQL)
        names = [column[0] for column in cursor.description]
        row = cursor.fetchone() or ()
        return {name: int(value) for name, value in zip(names, row, strict=True)}


MARTS = ("mart_crypto_prices", "mart_ohlc", "mart_volatility", "mart_pipeline_health")


def mart_counts(path: Path) -> dict[str, int]:
    """Rows of each mart that dbt has built (a mart not built yet is left out)."""
    if not path.exists():
        return {}
    counts: dict[str, int] = {}
    with warehouse_db.read(path) as connection:
        for mart in MARTS:
            try:
                row = connection.execute(f"SELECT count(*) FROM {warehouse_db.MART}.{mart}")
                counts[mart] = int((row.fetchone() or (0,))[0])
            except duckdb.CatalogException:
                continue
    return counts


def quarantined(client: gcs.Client, bucket: str) -> int:
    """Objects copied to quarantine/ by the loader."""
    blobs = client.list_blobs(bucket, prefix=lake.QUARANTINE_PREFIX)
    return sum(1 for blob in blobs if not blob.name.endswith(lake.QUARANTINE_ERROR_SUFFIX))


def completeness_of(path: Path) -> list[completeness.PairResult]:
    """``coinpulse verify``'s check of the whole warehouse (nothing before its first load)."""
    return verify.check(path, completeness.Scope()) if path.exists() else []


@dataclass(frozen=True)
class Summary:
    seconds: float
    relay: dict[str, Any] | None
    counts: dict[str, int]
    quarantined: int
    checked: list[completeness.PairResult]
    repair: str  # the outcome of verify and repair at the end of the drain
    marts: dict[str, int]  # rows per mart (commands/stack/transform.py builds them)
    transform: str  # how the stack's dbt runs went

    def lines(self) -> list[str]:
        count = self.counts.get
        relay = self.relay or {}
        relayed = relay.get("trades_published", "unknown (relay did not answer)")
        missing, twice = completeness.gaps(self.checked)
        return [
            f"CoinPulse demo summary after {self.seconds:.0f} s:",
            f"  trades relayed         {relayed}",
            f"  windows written        {count('windows', 0)} symbol-minutes "
            f"({count('pane_rows', 0)} pane rows in crypto_raw.stream_prices), "
            f"{count('window_trades', 0)} trades in their best rows (coinpulse.windows)",
            f"  missing trade ids      {missing} (coinpulse verify; {twice} counted twice)",
            f"  repair                 {self.repair}",
            f"  objects loaded         {count('objects_loaded', 0)} (crypto_raw._load_ledger)",
            f"  dead letters           {count('dead_letters', 0)} in crypto_raw.dead_letters, "
            f"({relay.get('dead_letters_total', 0)} of them from the relay)",
            f"  late trades            {count('late_trades', 0)}",
            f"  quarantined objects    {self.quarantined}",
            f"  CoinGecko rows         {count('coingecko_markets', 0)} markets, "
            f"{count('coingecko_candles', 0)} candles",
            "  marts                  "
            + (", ".join(f"{rows} {mart}" for mart, rows in self.marts.items()) or "none built")
            + f" ({self.transform})",
        ]
