"""The whole streaming lane for two and a half minutes: the warehouse equals the ground truth.

The relay is killed with SIGKILL once mid-run: the demo restarts it, and its
checkpoint and REST catch-up fill what it missed. At the end the demo drains: every
minute the relay published, the last ones included, is in the warehouse and equals
what DuckDB computes from the exchange's truth (reference.windows_sql).

``coinpulse demo`` runs against the replay exchange, which writes every trade it
generates to a truth file.

150 s: the first minute closes at most 72 s after the start (about 12 s of
startup), its on-time pane reaches the next flush (even minutes + 10 s) at most
70 s later, then the notification's delivery and the load take about a second;
the drain then waits for the last minutes (up to about 190 s more).
"""

import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from coinpulse import symbols
from commands import warehouse_db
from commands.bench import ground_truth
from reference import windows_sql

# 150 s of run, up to about 190 s of drain, start-up and the checks on 2 busy cores.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(720)]

DURATION = 150
KILL_AFTER_SECONDS = 40  # into the run: trades are flowing, a minute is open


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
        assert process.wait(DURATION + 420) == 0, (home / "demo.out").read_text()
    assert demo.processes_of(home) == []
    summary = (home / "demo.out").read_text()
    assert "CoinPulse demo summary" in summary
    assert "relay exited with -9; restarting it" in summary, summary
    # verify's proof from trade ids: nothing missing, nothing counted twice
    assert "missing trade ids      0 (coinpulse verify; 0 counted twice)" in summary, summary
    # the relay's REST catch-up left no gap, so the drain's verify did not call for repair
    assert "repair                 not needed: verify found no trade id" in summary, summary

    # Every trade the relay published (its checkpoint at the stop) is in a window, and
    # every minute equals the reference from the exchange's truth, the last ones too.
    published = ground_truth.published(home / "relay" / "checkpoint.json")
    assert "drained: every trade the relay published is in the warehouse" in summary, summary
    expected = windows_sql.windows_from_records(
        record
        for record in ground_truth.truth_records(truth)
        if record["trade_id"] <= published[record["symbol"]]
    )
    best = ground_truth.best_windows(home / "warehouse.duckdb")
    assert set(best) == set(expected)
    for key, row in sorted(best.items()):
        assert windows_sql.mismatches(row, expected[key]) == [], key
    assert {symbol for symbol, _ in best} == set(symbols.DEFAULT_PAIRS)
    coins = len(symbols.DEFAULT_PAIRS)  # the CoinGecko lane ran at start, against the stand-in
    assert coingecko_counts(home / "warehouse.duckdb") == [(coins, coins * 48)]
    # The stack kept the marts built: every best window of the run is in the prices mart
    # (the closing dbt build rebuilt the days of the run and passed its tests).
    with warehouse_db.read(home / "warehouse.duckdb") as connection:
        priced = connection.execute(
            "SELECT count(*) FROM crypto_mart.mart_crypto_prices WHERE market_cap IS NOT NULL"
        ).fetchone()
    assert priced == (len(best),)
    assert "dbt build passed" in summary, summary
