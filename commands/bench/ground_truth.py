"""The warehouse against the replay exchange's ground truth, window by window.

The exchange writes every trade it generates to its truth file; the relay's checkpoint
holds the last trade id it published per pair. The trades up to those ids are what the
warehouse must hold: DuckDB computes their windows (reference.windows_sql), and each
is compared with the best row of its minute (coinpulse.windows). Trades generated
after the relay stopped are excluded. Reading fails with OSError (no truth file, no
checkpoint) or warehouse_db.WarehouseBusy; nothing is written.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coinpulse import windows
from commands import repair_plan, warehouse_db
from reference import windows_sql

BEST_WINDOWS = f"SELECT *, epoch_ms(window_start) AS start_ms FROM ({windows.best_windows_sql()})"

Key = tuple[str, int]  # symbol, window start in ms


def published(relay_checkpoint: Path) -> dict[str, int]:
    """The relay's last published trade id per pair, from its checkpoint file."""
    positions: dict[str, int] = json.loads(relay_checkpoint.read_text())["positions"]
    return positions


def truth_records(truth_file: Path) -> list[dict[str, Any]]:
    """Every trade the exchange generated (JSONL trade records)."""
    return [json.loads(line) for line in truth_file.read_text().splitlines() if line]


def best_windows(warehouse: Path) -> dict[Key, dict[str, Any]]:
    """The best row of every window in the warehouse, by (symbol, window start ms)."""
    with warehouse_db.read(warehouse) as connection:
        cursor = connection.execute(BEST_WINDOWS)
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    return {(row["symbol"], row["start_ms"]): row for row in rows}


@dataclass
class Comparison:
    """How the warehouse's windows differ from the truth's."""

    generated: int  # trades the exchange generated up to the relay's last published ids
    after_stop: int  # trades it generated past them (after the relay stopped)
    in_windows: int  # trades the best rows hold
    missing: int = 0  # truth trades no best row holds
    counted_twice: int = 0  # trades a best row holds beyond its minute's truth
    differing: dict[Key, list[str]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        listed = [
            f"  {symbol} {repair_plan.minute_text(start)}: {'; '.join(differences)}"
            for (symbol, start), differences in sorted(self.differing.items())
        ]
        return [
            f"trades generated        {self.generated} (up to the relay's last published ids; "
            f"{self.after_stop} more after its stop, not counted)",
            f"trades in windows       {self.in_windows}",
            f"missing                 {self.missing}",
            f"counted twice           {self.counted_twice}",
            f"windows that differ     {len(self.differing)}",
            *listed,
        ]


def compare(
    records: list[dict[str, Any]],
    positions: Mapping[str, int],
    best: Mapping[Key, Mapping[str, Any]],
) -> Comparison:
    """The truth's trades up to ``positions`` against the warehouse's best rows."""
    kept = [r for r in records if r["trade_id"] <= positions.get(r["symbol"], -1)]
    expected = windows_sql.windows_from_records(kept) if kept else {}
    result = Comparison(
        generated=len(kept),
        after_stop=len(records) - len(kept),
        in_windows=sum(int(row["trade_count"]) for row in best.values()),
    )
    for key in sorted(set(expected) | set(best)):
        want = int(expected[key]["trade_count"]) if key in expected else 0
        have = int(best[key]["trade_count"]) if key in best else 0
        result.missing += max(0, want - have)
        result.counted_twice += max(0, have - want)
        if key not in best:
            result.differing[key] = [f"no window in the warehouse ({want} trades)"]
        elif key not in expected:
            result.differing[key] = [f"no such minute in the truth ({have} trades)"]
        elif differences := windows_sql.mismatches(best[key], expected[key]):
            result.differing[key] = differences
    return result
