"""``coinpulse backfill`` end to end in process: archive CSVs and a real recording.

Windows are checked against the DuckDB reference computed from the valid rows;
bad rows must come out as dead letters with their reason and line, and the run
must still exit 0 with a summary.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from beam_pipeline import backfill
from reference import windows_sql

pytestmark = pytest.mark.unit

RECORDING = Path(__file__).resolve().parents[1] / "data" / "binance_us_ws_recording.txt"
HEADER = "id,price,qty,quote_qty,time,is_buyer_maker,is_best_match"
# 2024-03-01T00:00:00Z; the ms file is from before 2025, the µs file from after.
MS_START = 1_709_251_200_000
US_START = 1_735_776_000_000_000  # 2025-01-02T00:00:00Z

VALID_MS = [  # id, price, qty, time (ms), is_buyer_maker
    (500, "61000.10000000", "0.01000000", MS_START + 1_000, "True"),
    (501, "61001.00000000", "0.50000000", MS_START + 59_999, "False"),
    (502, "60999.99000000", "0.25000000", MS_START + 60_000, "false"),
]
VALID_US = [  # times in microseconds
    (9001, "3300.50000000", "1.00000000", US_START + 123_456, "False"),
    (9002, "3301.00000000", "2.00000000", US_START + 123_456, "True"),  # same ms: id orders
    (9003, "3299.00000000", "0.10000000", US_START + 61_000_000, "False"),
]
MALFORMED = [  # (line, reason fragment)
    ("9004,3300.0,1.0,3300.0,1735776001000000,True", "expected 7 columns"),
    ("9005,abc,1.0,3300.0,1735776001000000,True,True", "price is not numeric"),
    ("9006,3300.0,-1.0,-3300.0,1735776001000000,True,True", "quantity must be positive"),
    ("9007,3300.0,1.0,3300.0,1735776001000000,maybe,True", "is_buyer_maker must be"),
    ("x9008,3300.0,1.0,3300.0,1735776001000000,True,True", "must be integers"),
    ("9009,3300.123456789,1.0,3300.0,1735776001000000,True,True", "price_sq_sum keeps 16"),
]


def csv_line(row: tuple[int, str, str, int, str]) -> str:
    trade_id, price, quantity, time, maker = row
    return f"{trade_id},{price},{quantity},0,{time},{maker},True"


def as_records(symbol: str, rows: list[tuple[int, str, str, int, str]], unit: int) -> list[Any]:
    return [
        {
            "symbol": symbol,
            "trade_id": trade_id,
            "trade_time": time // unit,
            "price": price,
            "quantity": quantity,
            "is_buyer_maker": maker.lower() == "true",
        }
        for trade_id, price, quantity, time, maker in rows
    ]


def read_objects(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for path in sorted(folder.rglob("*.jsonl")) for line in path.open()]


def epoch_ms(rfc3339: str) -> int:
    return int(datetime.fromisoformat(rfc3339).timestamp() * 1000)


def test_archives_in_both_time_units_with_and_without_header_and_bad_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ms_file = tmp_path / "BTCUSDT-trades-2024-03-01.csv"
    ms_file.write_text("\n".join([HEADER, *map(csv_line, VALID_MS), csv_line(VALID_MS[0])]) + "\n")
    us_file = tmp_path / "ETHUSDT-trades-2025-01-02.csv"
    us_lines = [csv_line(VALID_US[0]), *(line for line, _ in MALFORMED), *map(csv_line, VALID_US)]
    us_file.write_text("\r\n".join(us_lines) + "\r\n")  # CRLF, and VALID_US[0] twice

    status = backfill.run(["--input", str(tmp_path / "*.csv"), "--output", str(tmp_path / "out")])

    assert status == 0
    summary = capsys.readouterr().out.splitlines()
    assert summary[:5] == [
        "rows read: 15",
        "trades: 8",
        "duplicates dropped: 2",
        f"dead letters: {len(MALFORMED)}",
        "windows written: 4",
    ]
    assert "skipped header: 1" in summary
    expected = windows_sql.windows_from_records(
        as_records("BTCUSDT", VALID_MS, 1) + as_records("ETHUSDT", VALID_US, 1000)
    )
    windows = read_objects(tmp_path / "out/stream_prices")
    assert {(w["symbol"], epoch_ms(w["window_start"])) for w in windows} == set(expected)
    for window in windows:
        key = (window["symbol"], epoch_ms(window["window_start"]))
        assert windows_sql.mismatches(window, expected[key]) == []
        assert (window["pane_timing"], window["pane_index"]) == ("ON_TIME", 0)
    eth_first = next(w for w in windows if w["symbol"] == "ETHUSDT")
    assert (eth_first["first_trade_id"], eth_first["last_trade_id"]) == (9001, 9002)
    assert eth_first["first_trade_time"] == "2025-01-02T00:00:00.123Z"

    dead = sorted(read_objects(tmp_path / "out/dead_letters"), key=lambda row: row["source"])
    assert [row["raw"] for row in dead] == [line for line, _ in MALFORMED]
    for row, (_, reason) in zip(dead, MALFORMED, strict=True):
        assert reason in row["reason"]
        assert row["stage"] == "backfill.archive"
    assert dead[0]["source"] == f"{us_file}:2"


def test_object_layout_is_one_create_only_object_per_day(tmp_path: Path) -> None:
    bad_row = "9,not-a-price,1.0,100.0,1709251200000,true,true"
    lines = [*map(csv_line, VALID_MS), bad_row]
    (tmp_path / "BTCUSDT-trades-2024-03-01.csv").write_text("\n".join(lines))
    args = ["--input", str(tmp_path / "BTCUSDT-trades-2024-03-01.csv"), "--output"]
    assert backfill.run([*args, str(tmp_path / "out")]) == 0
    first = sorted(p.relative_to(tmp_path / "out") for p in (tmp_path / "out").rglob("*.jsonl"))
    assert [path.parts[0] for path in first] == ["dead_letters", "stream_prices"]
    first = [path for path in first if path.parts[0] == "stream_prices"] + [
        path for path in first if path.parts[0] == "dead_letters"
    ]
    assert first[0].parts[:2] == ("stream_prices", "dt=2024-03-01")
    assert first[0].name.startswith("stream_prices-backfill-")
    content = (tmp_path / "out" / first[0]).read_bytes()
    assert backfill.run([*args, str(tmp_path / "out")]) == 0  # a rerun of the same input
    again = sorted(p.relative_to(tmp_path / "out") for p in (tmp_path / "out").rglob("*.jsonl"))
    assert again == sorted(first)  # the dead letters' object too: nothing new, nothing twice
    assert (tmp_path / "out" / first[0]).read_bytes() == content
    emitted = {row["emitted_at"] for row in read_objects(tmp_path / "out/stream_prices")}
    assert emitted == {"2024-03-01T00:01:00.000Z", "2024-03-01T00:02:00.000Z"}  # window ends


def test_the_real_recording(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], recorded_pairs: list[str]
) -> None:
    status = backfill.run(["--input", str(RECORDING), "--output", str(tmp_path / "out")])

    assert status == 0
    summary = capsys.readouterr().out.splitlines()
    assert summary[:5] == [
        "rows read: 481",
        "trades: 11",
        "duplicates dropped: 0",
        "dead letters: 0",
        "windows written: 2",
    ]
    assert summary[5:] == [
        "skipped bookTicker: 128",
        "skipped depth: 336",
        "skipped kline_1m: 5",
        "skipped recording_header: 1",
    ]
    records = []
    for line in RECORDING.read_text().splitlines()[1:]:
        frame = json.loads(line.split(": ", 1)[1])["data"]
        if frame.get("e") == "aggTrade":
            records.append(
                {
                    "symbol": frame["s"],
                    "trade_id": frame["f"],
                    "trade_time": frame["T"],
                    "price": frame["p"],
                    "quantity": frame["q"],
                    "is_buyer_maker": frame["m"],
                }
            )
    expected = windows_sql.windows_from_records(records)
    windows = read_objects(tmp_path / "out/stream_prices")
    assert len(windows) == len(expected)
    for window in windows:
        key = (window["symbol"], epoch_ms(window["window_start"]))
        assert windows_sql.mismatches(window, expected[key]) == []


def test_refuses_inputs_it_cannot_read(tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    assert backfill.run(["--input", str(tmp_path / "missing-*.csv"), "--output", out]) == 2
    unknown = tmp_path / "LTCUSDT-trades-2024-03-01.csv"
    unknown.write_text(csv_line(VALID_MS[0]))
    assert backfill.run(["--input", str(unknown), "--output", out]) == 2
    assert backfill.run(["--input", str(unknown), "--output", "s3://bucket/x"]) == 2
    assert not (tmp_path / "out").exists()
