"""The stand-in answers as Grafana's folder and dashboard API does."""

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from standins.grafana import StandIn

TOKEN = "glsa_editor"
VIEWER = "glsa_viewer"


@pytest.fixture
def grafana() -> Iterator[StandIn]:
    with StandIn(tokens=[TOKEN], viewer_tokens=[VIEWER]) as server:
        yield server


def call(
    grafana: StandIn, method: str, path: str, body: Any = None, token: str | None = TOKEN
) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, grafana.url + path, json=body, headers=headers, timeout=10)


def save(grafana: StandIn, **body: Any) -> requests.Response:
    return call(grafana, "POST", "/api/dashboards/db", body)


@pytest.mark.integration
def test_only_health_answers_without_a_token_and_viewers_cannot_write(grafana: StandIn) -> None:
    assert call(grafana, "GET", "/api/health", token=None).json()["database"] == "ok"
    assert call(grafana, "GET", "/api/folders", token=None).status_code == 401
    assert call(grafana, "GET", "/api/folders", token="glsa_other").status_code == 401
    assert call(grafana, "GET", "/api/folders", token=VIEWER).status_code == 200
    refused = call(grafana, "POST", "/api/folders", {"title": "X"}, token=VIEWER)
    assert refused.status_code == 403
    assert not grafana.store.folders
    assert [seen.authorized for seen in grafana.seen] == [False, False, False, True, True]


@pytest.mark.integration
def test_a_saved_uid_is_replaced_with_the_next_version_and_stays_one_dashboard(
    grafana: StandIn,
) -> None:
    folder = call(grafana, "POST", "/api/folders", {"uid": "f-1", "title": "Markets"}).json()
    first = save(grafana, dashboard={"uid": "d-1", "title": "Prices"}, folderUid=folder["uid"])
    assert first.status_code == 200
    assert first.json() | {"id": 0} == {
        "id": 0,
        "uid": "d-1",
        "url": "/d/d-1/prices",
        "status": "success",
        "version": 1,
        "slug": "prices",
        "folderUid": "f-1",
    }
    again = save(
        grafana,
        dashboard={"uid": "d-1", "title": "Prices", "id": None},
        folderUid="f-1",
        overwrite=True,
    )
    assert again.json()["version"] == 2 and again.json()["id"] == first.json()["id"]
    assert list(grafana.store.dashboards) == ["d-1"]
    stored = call(grafana, "GET", "/api/dashboards/uid/d-1").json()
    assert stored["meta"] == {"folderUid": "f-1", "version": 2}


@pytest.mark.integration
def test_without_overwrite_a_stale_version_or_a_taken_title_is_refused_with_412(
    grafana: StandIn,
) -> None:
    assert save(grafana, dashboard={"uid": "d-1", "title": "Prices"}).status_code == 200
    stale = save(grafana, dashboard={"uid": "d-1", "title": "Prices", "version": 0})
    assert (stale.status_code, stale.json()["status"]) == (412, "version-mismatch")
    current = save(grafana, dashboard={"uid": "d-1", "title": "Prices", "version": 1})
    assert current.json()["version"] == 2
    taken = save(grafana, dashboard={"uid": "d-2", "title": "Prices"})
    assert (taken.status_code, taken.json()["status"]) == (412, "name-exists")


@pytest.mark.integration
@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"dashboard": {"uid": "d-1"}}, 400, "Dashboard title cannot be empty"),
        ({"dashboard": {"uid": "x" * 41, "title": "T"}}, 400, "too long"),
        ({"dashboard": {"uid": "d-1", "title": "T"}, "folderUid": "nope"}, 400, "folder not found"),
        ({"dashboard": {"uid": "d-1", "title": "T", "id": 7}}, 404, "Dashboard not found"),
        ({"folderUid": "f"}, 400, "dashboard is missing"),
    ],
)
def test_bad_saves_are_refused_as_grafana_refuses_them(
    grafana: StandIn, body: dict[str, Any], status: int, message: str
) -> None:
    answer = call(grafana, "POST", "/api/dashboards/db", body)
    assert answer.status_code == status
    assert message in answer.json()["message"]
    assert not grafana.store.dashboards


@pytest.mark.integration
def test_folders_are_unique_by_uid_and_by_title(grafana: StandIn) -> None:
    assert call(grafana, "POST", "/api/folders", {"uid": "f-1", "title": "A"}).status_code == 200
    assert call(grafana, "POST", "/api/folders", {"uid": "f-1", "title": "B"}).status_code == 409
    assert call(grafana, "POST", "/api/folders", {"uid": "f-2", "title": "A"}).status_code == 409
    assert call(grafana, "GET", "/api/folders/f-1").json()["title"] == "A"
    assert call(grafana, "GET", "/api/folders/f-2").status_code == 404
    for payload, content_type in [(b"{", "application/json"), (b'{"title": "C"}', "text/plain")]:
        refused = requests.post(
            grafana.url + "/api/folders",
            data=payload,
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": content_type},
            timeout=10,
        )
        assert refused.status_code == 400
        assert refused.json()["message"].startswith("bad request data")
    assert len(grafana.store.folders) == 1
