"""The HTTP server the stand-ins share: ``http.server`` on a background thread.

Port 0 picks a free port; ``origin`` says which. ``start`` serves from a daemon thread
(tests), ``serve_forever`` from the caller's (the stand-ins' command lines); ``close``
stops either and frees the port. Usable as a context manager.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

# How often serve_forever checks for shutdown: short, so tests stop fast.
POLL_INTERVAL_SECONDS = 0.05


class BackgroundServer:
    """A threading HTTP server on ``host:port`` answering with ``handler``."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], host: str, port: int) -> None:
        self._server = ThreadingHTTPServer((host, port), handler)
        self._thread: threading.Thread | None = None

    @property
    def origin(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        """Serve from a background thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": POLL_INTERVAL_SECONDS},
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever(poll_interval=POLL_INTERVAL_SECONDS)

    def close(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
