"""The HTTP function bodies: where the date comes from, and which status answers what."""

import logging
from pathlib import Path

import flask
import pytest

from functions.coingecko import handlers
from standins.coingecko import StandIn

app = flask.Flask(__name__)


@pytest.fixture
def env(standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StandIn:
    monkeypatch.setenv("COINGECKO_BASE_URL", standin.base_url)
    monkeypatch.setenv("COINPULSE_LAKE", str(tmp_path))
    monkeypatch.delenv("COINGECKO_API_KEY", raising=False)
    return standin


def call(kind: str, **request: object) -> tuple[dict[str, object], int]:
    with app.test_request_context("/", method="POST", **request):
        return handlers.handle(flask.request, kind)


@pytest.mark.integration
def test_the_body_date_wins_over_the_query_and_the_query_works_alone(env: StandIn) -> None:
    summary, status = call("ohlc", json={"date": "2026-05-17"}, query_string={"date": "x"})
    assert (status, summary["snapshot_date"]) == (200, "2026-05-17")
    summary, status = call("ohlc", query_string={"date": "2026-05-16"})
    assert (status, summary["snapshot_date"]) == (200, "2026-05-16")
    summary, status = call("markets", data="not json", content_type="text/plain")
    assert status == 200 and summary["snapshot_date"] != "2026-05-16"


@pytest.mark.integration
def test_markets_for_a_past_date_is_a_400_and_nothing_runs(env: StandIn) -> None:
    summary, status = call("markets", json={"date": "2026-05-17"})
    assert status == 400 and "no history" in str(summary["error"])
    assert env.seen == []


@pytest.mark.integration
@pytest.mark.parametrize("body", [{"date": 20260518}, {"date": "2026-13-01"}])
def test_a_malformed_date_is_a_400_and_nothing_runs(env: StandIn, body: object) -> None:
    summary, status = call("ohlc", json=body)
    assert status == 400 and "date" in str(summary["error"])
    assert env.seen == []


@pytest.mark.integration
def test_a_failed_coin_is_a_502_with_the_summary(env: StandIn) -> None:
    env.retry_after = 0
    env.server_errors["cardano"] = 100
    summary, status = call("ohlc", json={"date": "2026-05-18"})
    assert status == 502
    assert summary["ok"] is False
    tables = summary["tables"]
    assert isinstance(tables, dict)
    assert list(tables) == ["coingecko_ohlc_candles"]
    assert list(tables["coingecko_ohlc_candles"]["failed"]) == ["cardano"]


@pytest.mark.unit
def test_in_the_cloud_without_a_lake_it_answers_500_and_writes_nothing_locally(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("K_SERVICE", "coinpulse-coingecko-markets")  # set by Cloud Run
    monkeypatch.delenv("COINPULSE_LAKE", raising=False)
    monkeypatch.setenv("COINPULSE_HOME", str(tmp_path))
    monkeypatch.setenv("COINGECKO_BASE_URL", "http://127.0.0.1:9/api/v3")  # never called
    caplog.set_level(logging.ERROR)
    summary, status = call("markets")
    assert status == 500
    assert "COINPULSE_LAKE" in str(summary["error"])
    (record,) = caplog.records
    assert record.levelname == "ERROR"
    assert "COINPULSE_LAKE" in record.__dict__["fields"]["reason"]
    assert list(tmp_path.rglob("*")) == []
