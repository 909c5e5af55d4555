"""``coinpulse exchange`` as a real process: start line, live frames, clean stop on signals."""

from __future__ import annotations

import json
import re
import select
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import aiohttp
import pytest

from coinpulse import binance_frames
from coinpulse.trade import Trade
from commands import localproc
from commands import main as coinpulse_cli

pytestmark = pytest.mark.integration

COMMAND = [sys.executable, "-m", "commands.main", "exchange"]


@contextmanager
def exchange_process(*args: str) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        [*COMMAND, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        localproc.stop(process)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def first_line(process: subprocess.Popen[bytes], timeout: float = 20) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    assert ready, "the exchange printed nothing"
    return process.stdout.readline().decode()


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
async def test_cli_serves_binance_frames_and_stops_cleanly(stop_signal: signal.Signals) -> None:
    with exchange_process(
        "--port", "0", "--symbols", "BTCUSDT,ETHUSDT", "--rate", "100"
    ) as process:
        line = first_line(process)
        urls = re.search(r"ws-url (\S+)\s+rest-url (\S+)", line)
        assert urls, line
        ws_url, rest_url = urls.groups()
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(f"{ws_url}/stream?streams=btcusdt@trade") as ws:
                frames = [await ws.receive_str(timeout=10) for _ in range(5)]
            async with session.get(f"{rest_url}/api/v3/ping") as response:
                assert response.status == 200
        trades = [binance_frames.parse_frame(frame, 0) for frame in frames]
        assert all(isinstance(t, Trade) and t.symbol == "BTCUSDT" for t in trades)
        process.send_signal(stop_signal)
        assert process.wait(timeout=20) == 0
        assert process.stderr is not None
        logged = [json.loads(row) for row in process.stderr.read().decode().splitlines()]
    started = next(entry for entry in logged if entry["message"] == "replay exchange started")
    assert (started["ws_url"], started["rest_url"]) == (ws_url, rest_url)
    assert started["pairs"] == ["BTCUSDT", "ETHUSDT"]


def test_cli_exits_1_when_the_port_is_taken() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        with exchange_process("--port", port) as process:
            assert process.wait(timeout=20) == 1
            assert process.stderr is not None
            assert f"cannot listen on 127.0.0.1:{port}" in process.stderr.read().decode()


@pytest.mark.parametrize(
    "bad",
    [
        ["--faults", "latency"],
        ["--fault-setting", "drop_every"],
        ["--symbols", "BTC/USDT"],
        ["--rate", "-1"],
    ],
)
def test_cli_refuses_bad_options_with_exit_2(
    bad: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert coinpulse_cli.main(["exchange", *bad]) == 2
    assert capsys.readouterr().err.startswith("coinpulse exchange: ")


def test_help_explains_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        coinpulse_cli.main(["exchange", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for flag in (
        "--host",
        "--port",
        "--symbols",
        "--seed",
        "--rate",
        "--max-trades",
        "--no-bursts",
        "--first-trade-id",
        "--ping-interval",
        "--pong-timeout",
        "--weight-limit",
        "--faults",
        "--fault-setting",
        "--truth-file",
        "examples:",
    ):
        assert flag in text
