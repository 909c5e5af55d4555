"""Push dashboards to a Grafana stack through its HTTP API, idempotently.

The folder is found by title among the root folders (``GET /api/folders``) or created
with its title's slug as uid (``POST /api/folders``), so a rerun reuses it. Each
dashboard is saved with ``POST /api/dashboards/db`` as ``{"dashboard", "folderUid",
"overwrite": true}`` and ``"id": null``: Grafana matches it by uid, replaces it and
adds one to its version, so publishing twice leaves one dashboard, not two.

The token (a service account's, Editor role) travels only in the Authorization header;
it is never logged nor put in an error message. Nothing is retried: a failed publish
changes nothing that a rerun would not redo. Grafana's refusals become ``PublishError``
with its status, message and a hint: 401 (bad token), 403 (role too low), 404 (wrong
URL), 412 (version-mismatch or name-exists: a save without ``overwrite`` that lost a
race, which publish's ``overwrite`` should rule out, so it is reported, not retried).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import requests

# Seconds to wait for Grafana's answer to one request.
TIMEOUT_SECONDS = 30.0
# Grafana's limit on uids (pkg/util/shortid_generator.go: MaxUIDLength).
MAX_UID_LENGTH = 40

HINTS = {
    401: "Grafana refused the token: set GRAFANA_TOKEN to a valid service account token",
    403: "the token's service account may not do this: it needs the Editor role",
    404: "not found: is --url the stack's base URL (https://STACK.grafana.net)?",
    412: "Grafana refused to replace the dashboard",
}


class PublishError(RuntimeError):
    """Grafana refused a request or could not be reached; ``status`` is 0 when unreached."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class Published:
    uid: str
    version: int
    url: str


def folder_uid_for(title: str) -> str:
    """The deterministic uid a folder gets when publish creates it: the title's slug."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:MAX_UID_LENGTH].strip("-")
    return slug or "coinpulse"


class Grafana:
    """One Grafana stack's HTTP API, authenticated with a service account token."""

    def __init__(self, url: str, token: str, timeout: float = TIMEOUT_SECONDS) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._session = requests.Session()
        self._session.headers["Authorization"] = f"Bearer {token}"
        self._session.headers["Accept"] = "application/json"

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            answer = self._session.request(method, self.url + path, json=body, timeout=self.timeout)
        except requests.RequestException as error:
            raise PublishError(
                f"{method} {self.url}{path}: Grafana could not be reached ({type(error).__name__})"
            ) from None
        if answer.status_code >= 400:
            raise PublishError(self._refusal(method, path, answer), answer.status_code)
        try:
            return answer.json()
        except ValueError:
            raise PublishError(
                f"{method} {path}: Grafana answered {answer.status_code} without JSON"
            ) from None

    @staticmethod
    def _refusal(method: str, path: str, answer: requests.Response) -> str:
        try:
            detail = answer.json()
        except ValueError:
            detail = {}
        message = detail.get("message", "") if isinstance(detail, dict) else ""
        status = detail.get("status", "") if isinstance(detail, dict) else ""
        parts = [f"{method} {path}: Grafana answered {answer.status_code}"]
        parts += [f"({status})"] if status else []
        parts += [f"{message!r}"] if message else []
        hint = HINTS.get(answer.status_code)
        return " ".join(parts) + (f"; {hint}" if hint else "")

    def folder(self, title: str) -> str:
        """The uid of the root folder titled ``title``, created if there is none."""
        for folder in self._call("GET", "/api/folders"):
            if folder.get("title") == title:
                return str(folder["uid"])
        created = self._call("POST", "/api/folders", {"uid": folder_uid_for(title), "title": title})
        return str(created["uid"])

    def save(self, dashboard: dict[str, Any], folder_uid: str) -> Published:
        """Save one dashboard into the folder, replacing the one with its uid."""
        body = {
            "dashboard": {**dashboard, "id": None},
            "folderUid": folder_uid,
            "overwrite": True,
            "message": "coinpulse grafana publish",
        }
        saved = self._call("POST", "/api/dashboards/db", body)
        return Published(str(saved["uid"]), int(saved["version"]), self.url + str(saved["url"]))


def publish(
    url: str, token: str, folder: str, dashboards: Iterable[dict[str, Any]]
) -> list[Published]:
    """Put every dashboard into ``folder`` on the stack at ``url``. Raises PublishError."""
    grafana = Grafana(url, token)
    folder_uid = grafana.folder(folder)
    return [grafana.save(dashboard, folder_uid) for dashboard in dashboards]
