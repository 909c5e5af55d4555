"""``coinpulse grafana publish`` against the Grafana stand-in: idempotent, token kept secret."""

import logging
from collections.abc import Iterator

import pytest

from commands import localproc, main
from dashboards.grafana import board, publish
from standins.grafana import StandIn
from standins.grafana.store import Refused

TOKEN = "glsa_s3cr3t-service-account-token"


@pytest.fixture
def grafana() -> Iterator[StandIn]:
    with StandIn(tokens=[TOKEN]) as server:
        yield server


@pytest.fixture
def token_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAFANA_TOKEN", TOKEN)
    monkeypatch.delenv("GRAFANA_URL", raising=False)


def run(*args: str) -> int:
    return main.main(["--log-level", "DEBUG", "grafana", "publish", *args])


@pytest.mark.integration
@pytest.mark.usefixtures("token_env")
def test_publishing_twice_leaves_one_dashboard_in_one_folder_one_version_later(
    grafana: StandIn, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert run("--url", grafana.url, "--folder", "CoinPulse") == 0
    assert run("--url", grafana.url, "--folder", "CoinPulse") == 0

    [folder] = grafana.store.folders.values()
    assert (folder.uid, folder.title) == ("coinpulse", "CoinPulse")
    [saved] = grafana.store.dashboards.values()
    assert saved.folder_uid == folder.uid
    assert saved.model["version"] == 2
    [built] = board.dashboards()
    assert {k: v for k, v in saved.model.items() if k not in ("id", "version")} == built
    out = capsys.readouterr()
    assert out.out.splitlines() == [
        f"coinpulse-markets version 1: {grafana.url}/d/coinpulse-markets/coinpulse-markets",
        f"coinpulse-markets version 2: {grafana.url}/d/coinpulse-markets/coinpulse-markets",
    ]
    posts = [s for s in grafana.seen if s.path == "/api/dashboards/db"]
    assert all(s.authorized and s.body["overwrite"] is True for s in posts)
    assert TOKEN not in out.out + out.err + caplog.text


@pytest.mark.integration
@pytest.mark.usefixtures("token_env")
def test_a_folder_with_the_title_is_reused_and_grafana_url_is_the_default(
    grafana: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    grafana.store.create_folder({"uid": "made-by-hand", "title": "Markets"})
    monkeypatch.setenv("GRAFANA_URL", grafana.url)
    assert run("--folder", "Markets") == 0
    assert list(grafana.store.folders) == ["made-by-hand"]
    assert grafana.store.dashboards["coinpulse-markets"].folder_uid == "made-by-hand"


@pytest.mark.integration
def test_a_refused_token_exits_1_with_grafanas_answer_and_never_the_token(
    grafana: StandIn, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = "glsa_wrong-token-value"
    monkeypatch.setenv("GRAFANA_TOKEN", wrong)
    assert run("--url", grafana.url) == 1
    err = capsys.readouterr().err
    assert "Grafana answered 401" in err and "GRAFANA_TOKEN" in err
    assert wrong not in err
    assert not grafana.store.dashboards


@pytest.mark.integration
@pytest.mark.usefixtures("token_env")
def test_a_wrong_url_or_no_grafana_exits_1_with_a_hint(
    grafana: StandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("--url", grafana.url + "/not-grafana") == 1
    assert "Grafana answered 404" in capsys.readouterr().err
    closed = f"http://127.0.0.1:{localproc.free_port()}"
    assert run("--url", closed) == 1
    assert "Grafana could not be reached (ConnectionError)" in capsys.readouterr().err


@pytest.mark.unit
def test_without_url_or_token_publish_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GRAFANA_URL", raising=False)
    monkeypatch.setenv("GRAFANA_TOKEN", TOKEN)
    assert run() == 2
    assert "--url" in capsys.readouterr().err
    monkeypatch.delenv("GRAFANA_TOKEN")
    assert run("--url", "http://127.0.0.1:9") == 2
    assert "GRAFANA_TOKEN" in capsys.readouterr().err


@pytest.mark.integration
def test_a_412_is_reported_with_grafanas_reason(
    grafana: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Grafana answers 412 to a save that lost a race; publish reports it, unretried."""

    def lose_the_race(body: dict[str, object]) -> dict[str, object]:
        raise Refused(412, "The dashboard has been changed by someone else", "version-mismatch")

    monkeypatch.setattr(grafana.store, "save_dashboard", lose_the_race)
    with pytest.raises(publish.PublishError) as raised:
        publish.publish(grafana.url, TOKEN, "CoinPulse", board.dashboards())
    assert raised.value.status == 412
    assert "(version-mismatch)" in str(raised.value)
    assert "changed by someone else" in str(raised.value)
