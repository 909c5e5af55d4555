"""``coinpulse demo`` as a process: SIGTERM stops everything it started, nothing orphaned.

The first SIGTERM starts the drain (the relay stops, the stack waits for its last
trades to be loaded); a second one stops at once.
"""

import signal
import urllib.request
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration


def test_sigterm_stops_every_process_the_demo_started(tmp_path: Path, demo: Any) -> None:
    home = tmp_path / "home"
    with demo.run(home) as process:
        output = demo.wait_for_output(home, "Stop it with Ctrl-C.", process, timeout=180)
        for name in ("Pub/Sub emulator", "GCS emulator", "loader", "eventarc", "exchange"):
            assert name in output
        (dashboard,) = [line for line in output.splitlines() if line.startswith("Dashboard: ")]
        with urllib.request.urlopen(dashboard.removeprefix("Dashboard: "), timeout=10) as page:
            assert b"lightweight-charts" in page.read()
        started = demo.processes_of(home)
        # demo, 2 emulators, loader, eventarc, exchange, pipeline, relay, dashboard
        assert len(started) >= 9
        process.send_signal(signal.SIGTERM)
        demo.wait_for_output(home, "draining: waiting up to", process, timeout=60)
        process.send_signal(signal.SIGTERM)
        assert process.wait(90) == 0
    assert demo.processes_of(home) == []
    output = (home / "demo.out").read_text()
    assert "SIGTERM: stopping the stack" in output and "CoinPulse demo summary" in output
    assert "SIGTERM again: not waiting any longer" in output
    assert {log.name for log in (home / "logs").iterdir()} >= {
        "pubsub.log",
        "gcs.log",
        "loader.log",
        "eventarc.log",
        "exchange.log",
        "pipeline.log",
        "relay.log",
        "dashboard.log",
        "demo.log",
    }
