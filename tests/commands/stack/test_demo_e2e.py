"""The whole streaming lane for two and a half minutes: the warehouse equals the ground truth.

The relay is killed with SIGKILL once mid-run: the demo restarts it, and its
checkpoint and REST catch-up fill what it missed.

``coinpulse demo`` runs against the replay exchange, which writes every trade it
generates to a truth file. For every complete minute (a window whose on-time pane
reached the warehouse) the best pane must equal what DuckDB computes from the
truth (reference.windows_sql), and no minute may be missing in between.

150 s: the first minute closes at most 72 s after the start (about 12 s of
startup), its on-time pane reaches the next flush (even minutes + 10 s) at most
70 s later, then the notification's delivery and the load take about a second.
"""

import json
import os
import signal
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from coinpulse import symbols, windows
from commands import warehouse_db
from reference import windows_sql

pytestmark = pytest.mark.e2e

DURATION = 150
KILL_AFTER_SECONDS = 40  # into the run: trades are flowing, a minute is open
MINUTE_MS = 60_000
BEST_PANES = f"SELECT *, epoch_ms(window_start) AS start_ms FROM ({windows.best_windows_sql()})"


def best_panes(warehouse: Path) -> dict[tuple[str, int], dict[str, Any]]:
    with warehouse_db.read(warehouse) as connection:
        cursor = connection.execute(BEST_PANES)
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    return {(row["symbol"], row["start_ms"]): row for row in rows}


def coingecko_counts(warehouse: Path) -> list[tuple[Any, ...]]:
    with warehouse_db.read(warehouse) as connection:
        return connection.execute(
            "SELECT (SELECT count(*) FROM crypto_raw.coingecko_markets), "
            "(SELECT count(*) FROM crypto_raw.coingecko_ohlc_candles)"
        ).fetchall()


def test_the_warehouse_windows_equal_the_exchange_s_ground_truth(tmp_path: Path, demo: Any) -> None:
    home, truth = tmp_path / "home", tmp_path / "truth.jsonl"
    with demo.run(home, "--duration", str(DURATION), "--truth-file", str(truth)) as process:
        demo.wait_for_output(home, "Stops by itself after", process, timeout=180)
        time.sleep(KILL_AFTER_SECONDS)
        os.kill(demo.process_running(home, "commands.main", "relay"), signal.SIGKILL)
        assert process.wait(DURATION + 240) == 0, (home / "demo.out").read_text()
    assert demo.processes_of(home) == []
    summary = (home / "demo.out").read_text()
    assert "CoinPulse demo summary" in summary
    assert "relay exited with -9; restarting it" in summary, summary
    # verify's proof from trade ids: nothing missing, nothing counted twice
    assert "missing trade ids      0 (coinpulse verify; 0 counted twice)" in summary, summary

    expected = windows_sql.windows_from_records(
        json.loads(line) for line in truth.read_text().splitlines()
    )
    complete = {
        key: row
        for key, row in best_panes(home / "warehouse.duckdb").items()
        if row["pane_timing"] != "EARLY"
    }
    minutes: dict[str, list[int]] = defaultdict(list)
    for (symbol, start), row in sorted(complete.items()):
        assert windows_sql.mismatches(row, expected[(symbol, start)]) == [], (symbol, start)
        minutes[symbol].append(start)
    assert set(minutes) == set(symbols.DEFAULT_PAIRS)
    coins = len(symbols.DEFAULT_PAIRS)  # the CoinGecko lane ran at start, against the stand-in
    assert coingecko_counts(home / "warehouse.duckdb") == [(coins, coins * 48)]
    for symbol, starts in minutes.items():
        traded = [
            start
            for (pair, start) in expected
            if pair == symbol and starts[0] <= start <= starts[-1]
        ]
        assert starts == sorted(traded), f"{symbol}: a minute is missing"
