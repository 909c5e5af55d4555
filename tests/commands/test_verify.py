"""``coinpulse verify`` on a warehouse file: the report, the exit status, the results table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from commands import main as coinpulse_cli
from commands import warehouse_db

pytestmark = pytest.mark.unit


def checks(path: Path) -> list[tuple[Any, ...]]:
    with warehouse_db.read(path) as connection:
        return connection.execute(
            "SELECT symbol, windows, trades, missing_trades, counted_twice, ranges "
            "FROM crypto_raw.completeness_checks ORDER BY checked_at, symbol"
        ).fetchall()


def test_a_complete_warehouse_exits_0_and_records_the_check(
    windows_warehouse: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    path = windows_warehouse(
        ("BTCUSDT", 0, 1, 5, 5), ("BTCUSDT", 1, 6, 6, 1), ("ETHUSDT", 0, 9, 9, 1)
    )
    assert coinpulse_cli.main(["verify", "--warehouse", str(path)]) == 0
    out = capsys.readouterr().out
    assert "BTCUSDT" in out and "INCOMPLETE" not in out and out.count("complete") == 2
    assert checks(path) == [("BTCUSDT", 2, 6, 0, 0, "[]"), ("ETHUSDT", 1, 1, 0, 0, "[]")]


def test_missing_ids_exit_1_with_every_range_in_the_json_and_the_table(
    windows_warehouse: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    path = windows_warehouse(("BTCUSDT", 0, 1, 5, 4), ("BTCUSDT", 1, 9, 9, 1))
    assert coinpulse_cli.main(["verify", "--warehouse", str(path), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["complete"] is False
    [pair] = report["pairs"]
    assert (pair["symbol"], pair["missing_trades"], pair["counted_twice"]) == ("BTCUSDT", 4, 0)
    assert [(r["kind"], r["low_id"], r["high_id"], r["trades"]) for r in pair["ranges"]] == [
        ("within", 1, 5, 1),
        ("between", 6, 8, 3),
    ]
    assert pair["ranges"][1]["first_minute"] == "2026-05-18T12:00:00.000Z"
    [(symbol, _, _, missing, _, ranges)] = checks(path)
    assert (symbol, missing, json.loads(ranges)) == ("BTCUSDT", 4, pair["ranges"])


def test_a_scope_outside_the_hole_is_complete(windows_warehouse: Any) -> None:
    path = windows_warehouse(
        ("BTCUSDT", 0, 1, 5, 4), ("BTCUSDT", 1, 6, 6, 1), ("ETHUSDT", 0, 1, 3, 1)
    )
    argv = ["verify", "--warehouse", str(path), "--since", "2026-05-18T12:01Z"]
    assert coinpulse_cli.main([*argv, "--symbols", "BTCUSDT"]) == 0


@pytest.mark.parametrize(
    "flags",
    [
        ["--since", "yesterday"],
        ["--since", "2026-05-18T13:00Z", "--until", "2026-05-18T12:00Z"],
        ["--symbols", "NOPEUSDT"],
    ],
)
def test_usage_errors_exit_2(
    windows_warehouse: Any, flags: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    path = windows_warehouse(("BTCUSDT", 0, 1, 1, 1))
    assert coinpulse_cli.main(["verify", "--warehouse", str(path), *flags]) == 2
    assert capsys.readouterr().err.startswith("coinpulse verify: ")


def test_no_warehouse_exits_2_and_says_how_to_get_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert coinpulse_cli.main(["verify", "--warehouse", str(tmp_path / "none.duckdb")]) == 2
    assert "no warehouse" in capsys.readouterr().err


@pytest.mark.parametrize("uri", ["bigquery://", "bigquery://p/d/extra"])
def test_a_malformed_bigquery_address_is_a_usage_error(
    uri: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert coinpulse_cli.main(["verify", "--warehouse", uri]) == 2
    assert "bigquery://PROJECT" in capsys.readouterr().err


def test_repair_refuses_a_bigquery_warehouse(capsys: pytest.CaptureFixture[str]) -> None:
    assert coinpulse_cli.main(["repair", "--warehouse", "bigquery://p", "--lake", "x"]) == 2
    assert "only verify reads BigQuery" in capsys.readouterr().err
