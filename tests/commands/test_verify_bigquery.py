"""``coinpulse verify --warehouse bigquery://...``: the same check on BigQuery's tables.

Runs against the bqemulator BigQuery API with the production client; the windows are
loaded with load jobs, as the loader function does.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fixtures_bigquery import PROJECT, RawDataset

from commands import main as coinpulse_cli

pytestmark = pytest.mark.integration

HOLES = (
    ("BTCUSDT", 0, 1, 5, 4),  # id 2..4 hold 3 trades of 5: one missing inside
    ("BTCUSDT", 1, 9, 9, 1),  # 6..8 missing between the two minutes
    ("ETHUSDT", 0, 1, 3, 3),
    ("ETHUSDT", 3, 4, 4, 1),  # silent minutes 1 and 2: nothing missing
)


def verify_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, Any]:
    status = coinpulse_cli.main([*argv, "--json"])
    return status, json.loads(capsys.readouterr().out)


def test_bigquery_finds_the_ranges_the_local_warehouse_finds_and_records_them(
    bigquery_raw: RawDataset,
    window_rows: Any,
    windows_warehouse: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bigquery_raw.load_jsonl("stream_prices", window_rows(*HOLES))
    status, report = verify_json(
        ["verify", "--warehouse", f"bigquery://{PROJECT}/{bigquery_raw.dataset}"], capsys
    )
    assert status == 1
    btc, eth = report["pairs"]
    assert [(r["kind"], r["low_id"], r["high_id"], r["trades"]) for r in btc["ranges"]] == [
        ("within", 1, 5, 1),
        ("between", 6, 8, 3),
    ]
    assert (eth["symbol"], eth["windows"], eth["trades"], eth["ranges"]) == ("ETHUSDT", 2, 4, [])

    local_status, local = verify_json(
        ["verify", "--warehouse", str(windows_warehouse(*HOLES))], capsys
    )
    assert (local_status, local["pairs"]) == (status, report["pairs"])

    recorded = bigquery_raw.rows(
        f"select symbol, missing_trades, ranges from `{bigquery_raw.table('completeness_checks')}`"
        " order by symbol"
    )
    assert [(r["symbol"], r["missing_trades"]) for r in recorded] == [
        ("BTCUSDT", 4),
        ("ETHUSDT", 0),
    ]
    assert json.loads(str(recorded[0]["ranges"])) == btc["ranges"]


def test_a_scope_on_bigquery_reads_only_its_minutes(
    bigquery_raw: RawDataset, window_rows: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    bigquery_raw.load_jsonl("stream_prices", window_rows(*HOLES))
    where = f"bigquery://{PROJECT}/{bigquery_raw.dataset}"
    argv = ["verify", "--warehouse", where, "--since", "2026-05-18T12:01Z", "--symbols", "BTCUSDT"]
    status, report = verify_json(argv, capsys)
    assert status == 0
    assert [(p["symbol"], p["windows"], p["trades"]) for p in report["pairs"]] == [
        ("BTCUSDT", 1, 1)
    ]


def test_a_missing_dataset_is_reported_not_raised(
    bigquery_raw: RawDataset, capsys: pytest.CaptureFixture[str]
) -> None:
    assert coinpulse_cli.main(["verify", "--warehouse", f"bigquery://{PROJECT}/absent"]) == 2
    assert capsys.readouterr().err.startswith("coinpulse verify: BigQuery: ")
