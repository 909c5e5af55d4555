"""``coinpulse backfill --runner flink`` writes the FnApiRunner's objects, byte for byte.

The same inputs go through the in-process FnApiRunner and through Beam's FlinkRunner
on an embedded Flink cluster (the pinned job server, fetched by the project's own
setup on first use): archive CSVs in ms and µs, with a header and CRLF, rows out of
order, exact duplicates and bad rows, and the real WebSocket recording. Both runs
must write the same object names with the same bytes, print the same summary, and
the windows must equal the DuckDB reference computed from the valid rows.
"""

from __future__ import annotations

import json
import random
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from beam_pipeline import backfill
from reference import windows_sql

pytestmark = [pytest.mark.integration, pytest.mark.flink, pytest.mark.timeout(900)]

RECORDING = Path(__file__).resolve().parents[2] / "data" / "binance_us_ws_recording.txt"
HEADER = "id,price,qty,quote_qty,time,is_buyer_maker,is_best_match"
DAY_MS = 1_709_251_200_000  # 2024-03-01T00:00:00Z: times in ms before 2025
DAY_US = 1_735_776_000_000_000  # 2025-01-02T00:00:00Z: times in µs from 2025 on
BAD_ROWS = [
    "77,abc,1.0,1.0,1709251201000,True,True",  # price not numeric
    "78,100.0,-1.0,-100.0,1709251201000,True,True",  # negative quantity
    "79,100.0,1.0",  # too few columns
]


def trades(rng: random.Random, count: int, start: int, span: int, price: float) -> list[Any]:
    """(id, price, qty, time, maker) rows over ``span`` time units from ``start``."""
    return [
        (
            1_000 + i,
            f"{price * (1 + rng.uniform(-0.01, 0.01)):.8f}",
            f"{rng.uniform(0.0001, 2):.8f}",
            start + rng.randrange(span),
            rng.choice(["True", "False"]),
        )
        for i in range(count)
    ]


def csv_line(row: tuple[int, str, str, int, str]) -> str:
    trade_id, price, qty, time, maker = row
    return f"{trade_id},{price},{qty},0,{time},{maker},True"


def records(symbol: str, rows: list[Any], per_ms: int) -> list[dict[str, Any]]:
    return [
        {
            "symbol": symbol,
            "trade_id": trade_id,
            "trade_time": time // per_ms,
            "price": price,
            "quantity": qty,
            "is_buyer_maker": maker == "True",
        }
        for trade_id, price, qty, time, maker in rows
    ]


def write_inputs(folder: Path) -> list[dict[str, Any]]:
    """The archive files; returns the valid trades once each."""
    rng = random.Random(14)
    btc = trades(rng, 1_500, DAY_MS, 3 * 3_600_000, 61_000.0)  # three hours, ms
    eth = trades(rng, 1_500, DAY_US, 2 * 3_600_000_000, 3_300.0)  # two hours, µs
    btc_lines = [csv_line(row) for row in btc + rng.sample(btc, 100)] + BAD_ROWS
    rng.shuffle(btc_lines)
    (folder / "BTCUSDT-trades-2024-03-01.csv").write_text("\n".join([HEADER, *btc_lines]) + "\n")
    eth_lines = [csv_line(row) for row in eth + rng.sample(eth, 50)]
    rng.shuffle(eth_lines)
    (folder / "ETHUSDT-trades-2025-01-02.csv").write_text("\r\n".join(eth_lines) + "\r\n")
    return records("BTCUSDT", btc, 1) + records("ETHUSDT", eth, 1000)


def objects(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.jsonl"))}


def epoch_ms(rfc3339: str) -> int:
    return int(datetime.fromisoformat(rfc3339).timestamp() * 1000)


def test_flink_writes_the_same_objects_as_the_fnapi_runner(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], recorded_pairs: list[str]
) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    valid = write_inputs(inputs)
    argv = ["--input", str(inputs / "*.csv"), str(RECORDING), "--output"]

    assert backfill.run([*argv, str(tmp_path / "fnapi")]) == 0
    fnapi_summary = capsys.readouterr().out
    assert backfill.run([*argv, str(tmp_path / "flink"), "--runner", "flink"]) == 0
    flink_summary = capsys.readouterr().out

    assert flink_summary == fnapi_summary
    assert "duplicates dropped: 150\n" in flink_summary
    assert f"dead letters: {len(BAD_ROWS)}\n" in flink_summary
    on_flink = objects(tmp_path / "flink")
    assert on_flink == objects(tmp_path / "fnapi")
    assert {name.split("/")[0] for name in on_flink} == {"stream_prices", "dead_letters"}

    recorded = windows_sql.windows_from_records(
        [
            {
                "symbol": frame["s"],
                "trade_id": frame["f"],
                "trade_time": frame["T"],
                "price": frame["p"],
                "quantity": frame["q"],
                "is_buyer_maker": frame["m"],
            }
            for line in RECORDING.read_text().splitlines()[1:]
            if (frame := json.loads(line.split(": ", 1)[1])["data"]).get("e") == "aggTrade"
        ]
    )
    expected = {**windows_sql.windows_from_records(valid), **recorded}
    windows = [
        json.loads(line)
        for name, content in on_flink.items()
        if name.startswith("stream_prices/")
        for line in content.decode().splitlines()
    ]
    assert len(windows) == len(expected)
    for window in windows:
        key = (window["symbol"], epoch_ms(window["window_start"]))
        assert windows_sql.mismatches(window, expected[key]) == []
    dead = [
        json.loads(line)
        for name, content in on_flink.items()
        if name.startswith("dead_letters/")
        for line in content.decode().splitlines()
    ]
    assert sorted(row["raw"] for row in dead) == sorted(BAD_ROWS)
