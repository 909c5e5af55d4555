"""What Grafana does with folders and dashboards saved through its HTTP API, in memory.

The rules follow Grafana's legacy API (``/api/folders``, ``/api/dashboards/db``; docs
sources/developers/http_api/dashboard.md and folder.md): a dashboard needs a title and
its uid is at most 40 characters; a new dashboard gets version 1 and every save of the
same uid adds one; without ``overwrite`` a save whose ``version`` is not the stored one
is refused with 412 ``version-mismatch``, and a different uid with the same title in the
same folder with 412 ``name-exists``; a ``folderUid`` that names no folder is refused;
saving without a folder puts the dashboard at the root. Folder titles are unique at the
root, folder uids everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# Grafana's limit on uids (pkg/util/shortid_generator.go: MaxUIDLength).
MAX_UID_LENGTH = 40
UID_PATTERN = re.compile(r"^[a-zA-Z0-9\-_]*$")


class Refused(Exception):
    """A request Grafana would refuse: HTTP status and JSON body."""

    def __init__(self, status: int, message: str, kind: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"message": message}
        if kind is not None:
            self.body["status"] = kind  # Grafana's word for the refusal, e.g. version-mismatch


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


@dataclass
class Folder:
    id: int
    uid: str
    title: str

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "uid": self.uid,
            "title": self.title,
            "url": f"/dashboards/f/{self.uid}/",
        }


@dataclass
class Saved:
    id: int
    folder_uid: str  # "" is the root
    model: dict[str, Any]


@dataclass
class Store:
    folders: dict[str, Folder] = field(default_factory=dict)
    dashboards: dict[str, Saved] = field(default_factory=dict)
    _next_id: int = 1

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def create_folder(self, body: dict[str, Any]) -> dict[str, Any]:
        title = body.get("title")
        if not isinstance(title, str) or not title.strip():
            raise Refused(400, "folder title cannot be empty")
        uid = body.get("uid") or f"f{self._next_id}"
        if not isinstance(uid, str) or len(uid) > MAX_UID_LENGTH or not UID_PATTERN.match(uid):
            raise Refused(400, "uid contains illegal characters or is too long")
        if uid in self.folders:
            raise Refused(409, "a folder with the same uid already exists")
        if any(folder.title == title for folder in self.folders.values()):
            raise Refused(409, "a folder with the same name already exists")
        folder = Folder(self._new_id(), uid, title)
        self.folders[uid] = folder
        return folder.view()

    def folder(self, uid: str) -> dict[str, Any]:
        if uid not in self.folders:
            raise Refused(404, "folder not found")
        return self.folders[uid].view()

    def save_dashboard(self, body: dict[str, Any]) -> dict[str, Any]:
        model = body.get("dashboard")
        if not isinstance(model, dict):
            raise Refused(400, "bad request data: dashboard is missing")
        title = model.get("title")
        if not isinstance(title, str) or not title.strip():
            raise Refused(400, "Dashboard title cannot be empty")
        uid = model.get("uid") or f"d{self._next_id}"
        if not isinstance(uid, str) or len(uid) > MAX_UID_LENGTH or not UID_PATTERN.match(uid):
            raise Refused(400, "uid contains illegal characters or is too long")
        folder_uid = body.get("folderUid") or ""
        if folder_uid and folder_uid not in self.folders:
            raise Refused(400, "folder not found")
        overwrite = body.get("overwrite") is True
        stored = self.dashboards.get(uid)
        if model.get("id") is not None and (stored is None or stored.id != model["id"]):
            raise Refused(404, "Dashboard not found", kind="not-found")
        if not overwrite:
            if stored is not None and model.get("version") != stored.model["version"]:
                raise Refused(
                    412, "The dashboard has been changed by someone else", kind="version-mismatch"
                )
            if any(
                other.model["title"] == title and other.folder_uid == folder_uid and key != uid
                for key, other in self.dashboards.items()
            ):
                raise Refused(
                    412,
                    "A dashboard with the same name in the folder already exists",
                    kind="name-exists",
                )
        version = 1 if stored is None else stored.model["version"] + 1
        dashboard_id = self._new_id() if stored is None else stored.id
        saved = {**model, "id": dashboard_id, "uid": uid, "version": version}
        self.dashboards[uid] = Saved(dashboard_id, folder_uid, saved)
        return {
            "id": dashboard_id,
            "uid": uid,
            "url": f"/d/{uid}/{slug(title)}",
            "status": "success",
            "version": version,
            "slug": slug(title),
            "folderUid": folder_uid,
        }

    def dashboard(self, uid: str) -> dict[str, Any]:
        saved = self.dashboards.get(uid)
        if saved is None:
            raise Refused(404, "Dashboard not found")
        meta = {"folderUid": saved.folder_uid, "version": saved.model["version"]}
        return {"dashboard": saved.model, "meta": meta}
