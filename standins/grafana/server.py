"""The stand-in's HTTP server: Grafana's folder and dashboard API with its token check.

Paths: ``GET /api/health`` (no token, as Grafana), ``GET``/``POST /api/folders``,
``GET /api/folders/{uid}``, ``POST /api/dashboards/db`` and
``GET /api/dashboards/uid/{uid}``, with the semantics of ``store``. Every other path
needs ``Authorization: Bearer TOKEN`` naming one of ``tokens`` (else 401, as Grafana
answers an unknown service-account token); a token in ``viewer_tokens`` may read but
not write (403). Bodies must be JSON objects sent as ``application/json`` (else 400,
as Grafana's request binding answers). Every request is recorded in
``seen`` (method, path, whether its token was accepted), never the token itself.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from standins.grafana.store import Refused, Store
from standins.http_server import BackgroundServer

# The version /api/health reports: the Grafana release the dashboards are built for.
GRAFANA_VERSION = "12.0.0"

log = logging.getLogger(__name__)

FOLDER_PATH = re.compile(r"^/api/folders/(?P<uid>[^/]+)$")
DASHBOARD_PATH = re.compile(r"^/api/dashboards/uid/(?P<uid>[^/]+)$")


@dataclass(frozen=True, slots=True)
class Seen:
    """One request as the stand-in received it."""

    method: str
    path: str
    status: int
    authorized: bool
    body: Any


class StandIn(BackgroundServer):
    """A local Grafana API on ``host:port`` (port 0 picks a free one)."""

    def __init__(
        self,
        *,
        tokens: Iterable[str],
        viewer_tokens: Iterable[str] = (),
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.tokens = set(tokens)
        self.viewer_tokens = set(viewer_tokens)
        self.store = Store()
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        super().__init__(_handler_class(self), host, port)

    @property
    def url(self) -> str:
        return self.origin

    def answer(
        self,
        method: str,
        path: str,
        authorization: str | None,
        raw_body: bytes,
        content_type: str = "application/json",
    ) -> tuple[int, Any]:
        """Answer one request and record it."""
        token = (authorization or "").removeprefix("Bearer ").strip()
        may_read = token in self.tokens or token in self.viewer_tokens
        body: Any = None
        with self._lock:
            try:
                if path != "/api/health" and not may_read:
                    raise Refused(401, "Unauthorized")
                if method == "POST":
                    if token not in self.tokens:
                        raise Refused(403, "Access denied: editor role needed")
                    if content_type.split(";", maxsplit=1)[0].strip() != "application/json":
                        raise Refused(400, "bad request data: bad content type")
                    body = _json_object(raw_body)
                status, answer = 200, self._route(method, path, body)
            except Refused as refused:
                status, answer = refused.status, refused.body
            self.seen.append(Seen(method, path, status, may_read, body))
        return status, answer

    def _route(self, method: str, path: str, body: Any) -> Any:
        if (method, path) == ("GET", "/api/health"):
            return {"database": "ok", "version": GRAFANA_VERSION}
        if (method, path) == ("GET", "/api/folders"):
            return [folder.view() for folder in self.store.folders.values()]
        if (method, path) == ("POST", "/api/folders"):
            return self.store.create_folder(body)
        if (method, path) == ("POST", "/api/dashboards/db"):
            return self.store.save_dashboard(body)
        if method == "GET" and (match := FOLDER_PATH.match(path)):
            return self.store.folder(match["uid"])
        if method == "GET" and (match := DASHBOARD_PATH.match(path)):
            return self.store.dashboard(match["uid"])
        raise Refused(404, "Not found")


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw or b"null")
    except ValueError as error:
        raise Refused(400, f"bad request data: {error}") from None
    if not isinstance(body, dict):
        raise Refused(400, "bad request data: expected a JSON object")
    return body


def _handler_class(standin: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            path = self.path.split("?", 1)[0]
            status, answer = standin.answer(
                method,
                path,
                self.headers.get("Authorization"),
                raw,
                self.headers.get("Content-Type", ""),
            )
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("%s %s", self.address_string(), format % args)

    return Handler
