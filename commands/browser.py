"""Debian's Chromium, headless, driven over the Chrome DevTools Protocol.

The dashboard's browser tests and its benchmark look at the page as a person would:
a real Chromium renders it, runs its script and takes screenshots. The protocol is
spoken over a WebSocket with aiohttp (already a dependency), so no browser
download and no driver binary are needed: ``make browser`` installs Chromium from
Debian when /usr/bin/chromium is missing.

Chromium listens on a port it picks itself (``--remote-debugging-port=0``) and
writes it to DevToolsActivePort in its profile folder, which is read here. The
browser, its profile folder and the connection are closed on exit. What can fail:
MissingPrerequisite (no Chromium), TimeoutError (it did not start, or a condition
was never met), PageError (the page's script threw, or a command failed).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from commands import localproc

CHROMIUM_ENV = "CHROMIUM"
DEFAULT_CHROMIUM = "/usr/bin/chromium"  # Debian's package
# The flags of a quiet headless run in a container (toolchain notes, section 9).
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)
START_TIMEOUT_SECONDS = 30.0  # two busy cores: Chromium takes 1-5 s to listen
POLL_SECONDS = 0.1


class PageError(RuntimeError):
    """The page's script threw, or Chromium refused a command."""


def chromium_binary() -> str:
    """$CHROMIUM or Debian's /usr/bin/chromium. Raises localproc.MissingPrerequisite."""
    binary = os.environ.get(CHROMIUM_ENV, DEFAULT_CHROMIUM)
    if not Path(binary).is_file():
        raise localproc.MissingPrerequisite(
            f"no Chromium at {binary}: run make browser (apt-get install chromium)"
        )
    return binary


class Page:
    """One tab: commands, their answers, and the events it sent (``events``)."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self._socket = socket
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.events: list[dict[str, Any]] = []
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self._socket:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            data = json.loads(message.data)
            waiting = self._waiting.pop(data.get("id", -1), None)
            if waiting is not None and not waiting.done():
                waiting.set_result(data)
            elif "method" in data:
                self.events.append(data)
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(PageError("Chromium closed the connection"))

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        """One protocol command; its result. Raises PageError."""
        key = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[key] = future
        await self._socket.send_json({"id": key, "method": method, "params": params})
        answer = await future
        if "error" in answer:
            raise PageError(f"{method}: {answer['error']}")
        result: dict[str, Any] = answer.get("result", {})
        return result

    async def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression (promises awaited). Raises PageError."""
        result = await self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise PageError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_for(self, expression: str, timeout: float) -> Any:
        """Poll until the expression is truthy; its value. Raises TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            value = await self.evaluate(expression)
            if value:
                return value
            if time.monotonic() >= deadline:
                raise TimeoutError(f"after {timeout:g} s still false: {expression}")
            await asyncio.sleep(POLL_SECONDS)

    async def goto(self, url: str) -> None:
        await self.send("Page.navigate", url=url)

    async def screenshot(self, path: Path, whole_page: bool = False) -> None:
        """A PNG of the viewport, or of the whole page however long."""
        options: dict[str, Any] = {"format": "png"}
        if whole_page:
            size = (await self.send("Page.getLayoutMetrics"))["cssContentSize"]
            clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
            options.update(captureBeyondViewport=True, clip=clip)
        shot = await self.send("Page.captureScreenshot", **options)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))

    def requested(self, fragment: str) -> list[str]:
        """URLs the page requested (Network events) that contain ``fragment``."""
        return [
            event["params"]["request"]["url"]
            for event in self.events
            if event["method"] == "Network.requestWillBeSent"
            and fragment in event["params"]["request"]["url"]
        ]

    async def close(self) -> None:
        await self._socket.close()
        self._reader.cancel()


async def _debugging_port(profile: Path, process: subprocess.Popen[bytes]) -> int:
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise PageError(f"Chromium exited with {process.returncode}")
        if marker.exists() and marker.read_text().strip():
            return int(marker.read_text().splitlines()[0])
        await asyncio.sleep(POLL_SECONDS)
    raise TimeoutError(f"Chromium did not listen within {START_TIMEOUT_SECONDS:g} s")


@asynccontextmanager
async def open_page(
    width: int = 1400, height: int = 1100, log: Path | None = None
) -> AsyncIterator[Page]:
    """A headless Chromium with one blank tab of that size, network events on."""
    profile = Path(tempfile.mkdtemp(prefix="coinpulse-chromium-"))
    command = [chromium_binary(), *FLAGS, f"--user-data-dir={profile}"]
    command += [f"--window-size={width},{height}", "about:blank"]
    process = localproc.spawn(command, log or profile / "chromium.log")
    try:
        port = await _debugging_port(profile, process)
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/json/list") as response:
                targets = await response.json()
            tab = next(target for target in targets if target["type"] == "page")
            async with session.ws_connect(tab["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                page = Page(ws)
                await page.send("Page.enable")
                await page.send("Network.enable")
                await page.send(
                    "Emulation.setDeviceMetricsOverride",
                    width=width,
                    height=height,
                    deviceScaleFactor=1,
                    mobile=False,
                )
                try:
                    yield page
                finally:
                    await page.close()
    finally:
        localproc.stop(process)
        shutil.rmtree(profile, ignore_errors=True)
