"""JSON log lines: our loggers at the chosen level, third-party ones at WARNING unless DEBUG."""

import json
import logging
from collections.abc import Iterator

import pytest

from coinpulse import logs

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def emitted(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [json.loads(line)["message"] for line in capsys.readouterr().err.splitlines()]


def test_third_party_info_is_hidden_at_info_and_its_warnings_shown(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logs.setup("INFO")
    logging.getLogger("apache_beam.typehints.native_type_compatibility").info("Converting")
    logging.getLogger("urllib3.connectionpool").info("Starting new HTTPS connection")
    logging.getLogger("google.auth").info("credentials")
    logging.getLogger("apache_beam.runners").warning("beam warns")
    logging.getLogger("functions.coingecko.run").info("CoinGecko load written")
    assert emitted(capsys) == ["beam warns", "CoinGecko load written"]


def test_debug_shows_third_party_chatter_too(capsys: pytest.CaptureFixture[str]) -> None:
    logs.setup("DEBUG")
    logging.getLogger("apache_beam.typehints").info("Converting")
    logging.getLogger("relay.service").debug("frame")
    assert emitted(capsys) == ["Converting", "frame"]


def test_a_level_above_warning_applies_to_third_party_loggers_too(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logs.setup("ERROR")
    logging.getLogger("apache_beam").warning("beam warns")
    logging.getLogger("apache_beam").error("beam fails")
    assert emitted(capsys) == ["beam fails"]
