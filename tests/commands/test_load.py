"""``coinpulse load``: every object of a lake into a fresh warehouse once, through the loader.

The lakes are written by the real writers: ``coinpulse backfill --output DIR`` (the Beam
pipeline on archive CSVs) and the CoinGecko lane's writer; on Cloud Storage, objects
uploaded to fake-gcs-server.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import google.cloud.storage as gcs
import pyarrow as pa
import pytest

from beam_pipeline import backfill
from coinpulse import lake
from commands import main as coinpulse_cli
from commands import warehouse_db
from commands.duckdb_warehouse import LEDGER
from functions.coingecko import rows, writer
from standins.coingecko import data

DAY = date(2026, 5, 18)
FETCHED = datetime(2026, 5, 18, 12, 49, 21, tzinfo=UTC)
COINS = ("bitcoin", "ethereum")
CSV_HEADER = "id,price,qty,quote_qty,time,is_buyer_maker,is_best_match"
MINUTE_MS = 60_000
START_MS = 1_709_251_200_000  # 2024-03-01T00:00:00Z
# Three trades in three different minutes (three windows) and a row that is no trade.
TRADES = [
    f"{500 + minute},61000.5,0.01,610.005,{START_MS + minute * MINUTE_MS + 7},true,true"
    for minute in range(3)
]
NOT_A_TRADE = "503,not-a-price,0.01,610.0,1709251380000,true,true"
WINDOWS = "stream_prices/dt=2026-05-18/hh=12/stream_prices-20260518T121010Z-p0-{}.jsonl"
TABLES = ("stream_prices", "dead_letters", "coingecko_markets", "coingecko_ohlc_candles")


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """The command sets up the root logger; later tests get theirs back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:], root.level = handlers, level


def load(*args: str) -> int:
    return coinpulse_cli.main(["load", *args])


def summary(stdout: str) -> str:
    return stdout.strip().splitlines()[-1]


def counts(warehouse: Path) -> dict[str, int]:
    with warehouse_db.read(warehouse) as connection:
        found = {
            table: connection.execute(f"SELECT count(*) FROM crypto_raw.{table}").fetchall()
            for table in TABLES
        }
    return {table: int(result[0][0]) for table, result in found.items()}


def ledger(warehouse: Path) -> list[tuple[Any, ...]]:
    with warehouse_db.read(warehouse) as connection:
        sql = f"SELECT job_id, bucket, name, generation, table_name, rows FROM {LEDGER}"
        return connection.execute(f"{sql} ORDER BY name").fetchall()


def markets(coin_ids: tuple[str, ...]) -> pa.Table:
    payload = [data.market(coin_id, FETCHED) for coin_id in coin_ids]
    built, _ = rows.market_rows(payload, coin_ids, DAY, FETCHED)
    return writer.to_arrow(built, lake.COINGECKO_MARKETS)


def candles(coin_ids: tuple[str, ...]) -> pa.Table:
    built = [
        row
        for coin_id in coin_ids
        for row in rows.ohlc_rows(data.candles(coin_id, 1, FETCHED), coin_id, 1, DAY, FETCHED)
    ]
    return writer.to_arrow(built, lake.COINGECKO_OHLC)


def backfill_and_coingecko_lake(tmp_path: Path) -> tuple[Path, int]:
    """A lake folder of a real backfill and a CoinGecko write; returns it and its candle rows."""
    archive = tmp_path / "BTCUSDT-trades-2024-03-01.csv"
    archive.write_text("\n".join([CSV_HEADER, *TRADES, NOT_A_TRADE]) + "\n")
    folder = tmp_path / "lake"
    assert backfill.run(["--input", str(archive), "--output", str(folder)]) == 0
    writer.write(str(folder), lake.COINGECKO_MARKETS, DAY, markets(COINS))
    ohlc = candles(COINS)
    writer.write(str(folder), lake.COINGECKO_OHLC, DAY, ohlc)
    return folder, ohlc.num_rows


@pytest.mark.unit
def test_a_local_lake_loads_into_a_fresh_warehouse_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, candle_rows = backfill_and_coingecko_lake(tmp_path)
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert len(files) == 4  # windows, dead letters, markets, candles
    capsys.readouterr()
    warehouse = tmp_path / "rebuilt.duckdb"

    assert load("--lake", str(folder), "--warehouse", str(warehouse)) == 0
    out, err = capsys.readouterr()
    assert summary(out) == (
        "objects seen: 4, loaded: 4, already loaded: 0, skipped: 0, quarantined: 0, failed: 0"
    )
    assert "object loaded" not in err  # logs are quiet by default
    expected = {
        "stream_prices": 3,
        "dead_letters": 1,
        "coingecko_markets": 2,
        "coingecko_ohlc_candles": candle_rows,
    }
    assert counts(warehouse) == expected
    loaded = ledger(warehouse)
    assert [row[2] for row in loaded] == files
    assert {row[1] for row in loaded} == {str(folder)}
    assert [row[3] for row in loaded] == [(folder / name).stat().st_mtime_ns for name in files]

    monkeypatch.chdir(tmp_path)  # the same folder by a relative path is the same lake
    assert load("--lake", "lake", "--warehouse", str(warehouse)) == 0
    assert summary(capsys.readouterr().out) == (
        "objects seen: 4, loaded: 0, already loaded: 4, skipped: 0, quarantined: 0, failed: 0"
    )
    assert counts(warehouse) == expected
    assert ledger(warehouse) == loaded


@pytest.mark.unit
def test_the_default_warehouse_is_the_local_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "lake"
    writer.write(str(folder), lake.COINGECKO_MARKETS, DAY, markets(COINS))
    monkeypatch.setenv("COINPULSE_HOME", str(tmp_path / "home"))
    assert load("--lake", str(folder)) == 0
    assert counts(tmp_path / "home" / "warehouse.duckdb")["coingecko_markets"] == 2


@pytest.mark.unit
def test_a_rewritten_file_is_a_new_generation_and_loads_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, warehouse = tmp_path / "lake", tmp_path / "w.duckdb"
    writer.write(str(folder), lake.COINGECKO_MARKETS, DAY, markets(COINS))
    assert load("--lake", str(folder), "--warehouse", str(warehouse)) == 0
    writer.write(str(folder), lake.COINGECKO_MARKETS, DAY, markets(("ethereum",)))  # a rerun

    assert load("--lake", str(folder), "--warehouse", str(warehouse)) == 0
    assert summary(capsys.readouterr().out) == (
        "objects seen: 1, loaded: 1, already loaded: 0, skipped: 0, quarantined: 0, failed: 0"
    )
    with warehouse_db.read(warehouse) as connection:
        stored = connection.execute("SELECT coin_id FROM crypto_raw.coingecko_markets").fetchall()
    assert stored == [("ethereum",)]  # the date's rows replaced by the new generation's
    assert len(ledger(warehouse)) == 2


@pytest.mark.unit
def test_a_bad_object_is_quarantined_and_reported_while_the_others_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], samples: Any
) -> None:
    folder, warehouse = tmp_path / "lake", tmp_path / "w.duckdb"
    good, bad = WINDOWS.format("good"), WINDOWS.format("bad")
    for name, payload in (
        (good, samples.jsonl(samples.window_row())),
        (bad, b'{"surprise": 1}\n'),
        ("stream_prices/dt=2026-05-18/_SUCCESS", b""),
    ):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(payload)

    assert load("--lake", str(folder), "--warehouse", str(warehouse)) == 1
    out, err = capsys.readouterr()
    assert f"QUARANTINED {bad}: see quarantine/{bad}.error.json" in out.splitlines()
    assert summary(out) == (
        "objects seen: 3, loaded: 1, already loaded: 0, skipped: 1, quarantined: 1, failed: 0"
    )
    assert '"message": "bad object quarantined"' in err
    assert counts(warehouse)["stream_prices"] == 1
    assert (folder / "quarantine" / bad).read_bytes() == b'{"surprise": 1}\n'
    report = json.loads((folder / "quarantine" / f"{bad}.error.json").read_text())
    assert report["object"] == bad and report["bucket"] == str(folder)
    assert report["generation"] == str((folder / bad).stat().st_mtime_ns)
    assert report["table"] == "stream_prices" and "unexpected field" in report["error"]
    assert (folder / bad).exists()  # the original stays where it is

    assert load("--lake", str(folder), "--warehouse", str(warehouse)) == 1
    assert summary(capsys.readouterr().out) == (  # the copies under quarantine/ are not data
        "objects seen: 5, loaded: 0, already loaded: 1, skipped: 3, quarantined: 1, failed: 0"
    )
    assert counts(warehouse)["stream_prices"] == 1


@pytest.mark.unit
def test_progress_is_one_line_per_hundred_objects(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "lake"
    folder.mkdir()
    for number in range(250):
        (folder / f"notes-{number:03}.txt").write_text("no writer names such a file")
    assert load("--lake", str(folder), "--warehouse", str(tmp_path / "w.duckdb")) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"loading 250 objects of {folder} into {tmp_path / 'w.duckdb'}"
    assert lines[1:] == [
        f"objects seen: {seen}, loaded: 0, already loaded: 0, skipped: {seen}, "
        "quarantined: 0, failed: 0"
        for seen in (100, 200, 250)
    ]


@pytest.mark.unit
def test_a_failed_load_is_reported_and_the_others_are_still_tried(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], samples: Any
) -> None:
    folder = tmp_path / "lake"
    for suffix in ("a", "b"):
        (folder / WINDOWS.format(suffix)).parent.mkdir(parents=True, exist_ok=True)
        (folder / WINDOWS.format(suffix)).write_bytes(samples.jsonl(samples.window_row()))
    not_a_database = tmp_path / "folder.duckdb"
    not_a_database.mkdir()

    assert load("--lake", str(folder), "--warehouse", str(not_a_database)) == 1
    out, err = capsys.readouterr()
    failed = [line for line in out.splitlines() if line.startswith("FAILED ")]
    assert [line.split(":")[0] for line in failed] == [
        f"FAILED {WINDOWS.format('a')}",
        f"FAILED {WINDOWS.format('b')}",
    ]
    assert summary(out) == (
        "objects seen: 2, loaded: 0, already loaded: 0, skipped: 0, quarantined: 0, failed: 2"
    )
    assert err.count('"message": "load failed"') == 2


@pytest.mark.unit
@pytest.mark.parametrize(
    ("lake_arg", "message"),
    [
        ("s3://bucket/lake", "a lake is a local folder or gs://bucket[/prefix]"),
        ("gs://", "no bucket"),
        ("missing-folder", "no such folder"),
        ("a-file", "no such folder"),
    ],
)
def test_a_bad_lake_is_a_usage_error(
    lake_arg: str,
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-file").write_text("not a folder")
    assert load("--lake", lake_arg, "--warehouse", str(tmp_path / "w.duckdb")) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "w.duckdb").exists()


@pytest.mark.unit
def test_the_lake_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        load("--warehouse", "w.duckdb")
    assert exit_info.value.code == 2
    assert "--lake" in capsys.readouterr().err


@pytest.mark.integration
def test_a_gcs_prefix_loads_each_live_generation_once(
    bucket: gcs.Bucket, samples: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse = tmp_path / "w.duckdb"
    good, bad = f"lake/{WINDOWS.format('good')}", f"lake/{WINDOWS.format('bad')}"
    markets_name = f"lake/{lake.coingecko_object(lake.COINGECKO_MARKETS, DAY)}"
    bucket.blob(good).upload_from_string(samples.jsonl(samples.window_row()))
    bucket.blob(bad).upload_from_string(b"not json\n")
    bucket.blob(markets_name).upload_from_string(samples.markets_parquet(COINS))
    other_root = f"lake2/{WINDOWS.format('other')}"  # outside the prefix
    bucket.blob(other_root).upload_from_string(samples.jsonl(samples.window_row("ETHUSDT")))
    uri = f"gs://{samples.BUCKET}/lake"

    assert load("--lake", uri, "--warehouse", str(warehouse)) == 1
    out = capsys.readouterr().out
    assert summary(out) == (
        "objects seen: 3, loaded: 2, already loaded: 0, skipped: 0, quarantined: 1, failed: 0"
    )
    assert f"QUARANTINED {bad}: see quarantine/{bad}.error.json" in out.splitlines()
    assert bucket.get_blob(f"quarantine/{bad}").download_as_bytes() == b"not json\n"
    assert bucket.get_blob(f"quarantine/{bad}.error.json") is not None
    assert counts(warehouse) == {
        "stream_prices": 1,
        "dead_letters": 0,
        "coingecko_markets": 2,
        "coingecko_ohlc_candles": 0,
    }
    loaded = ledger(warehouse)
    assert [(row[1], row[2]) for row in loaded] == [
        (samples.BUCKET, markets_name),
        (samples.BUCKET, good),
    ]
    assert loaded[0][3] == bucket.get_blob(markets_name).generation

    bucket.delete_blob(bad)
    assert load("--lake", uri + "/", "--warehouse", str(warehouse)) == 0
    assert summary(capsys.readouterr().out) == (
        "objects seen: 2, loaded: 0, already loaded: 2, skipped: 0, quarantined: 0, failed: 0"
    )
    assert ledger(warehouse) == loaded

    bucket.blob(markets_name).upload_from_string(samples.markets_parquet(("bitcoin",)))
    assert load("--lake", uri, "--warehouse", str(warehouse)) == 0
    assert summary(capsys.readouterr().out) == (
        "objects seen: 2, loaded: 1, already loaded: 1, skipped: 0, quarantined: 0, failed: 0"
    )
    assert counts(warehouse)["coingecko_markets"] == 1


@pytest.mark.integration
def test_a_missing_bucket_is_a_usage_error(
    storage_emulator: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert load("--lake", "gs://no-such-bucket/lake", "--warehouse", str(tmp_path / "w")) == 2
    assert "no bucket no-such-bucket" in capsys.readouterr().err
