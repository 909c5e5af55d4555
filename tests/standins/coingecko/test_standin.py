"""The stand-in speaks CoinGecko's protocol with realistic data, key check and faults."""

import argparse
import re
from datetime import datetime, timedelta
from itertools import pairwise

import pytest
import requests

from standins.coingecko import StandIn
from standins.coingecko.__main__ import fault, parse_args

ISO_MILLIS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def get(standin: StandIn, path: str, **params: str) -> requests.Response:
    return requests.get(standin.base_url + path, params=params, timeout=10)


@pytest.mark.integration
def test_markets_answers_the_requested_coins_with_nulls_and_extra_fields(
    standin: StandIn,
) -> None:
    answer = get(standin, "/coins/markets", vs_currency="usd", ids="ethereum,bitcoin,nope")
    assert answer.status_code == 200
    coins = answer.json()
    assert [coin["id"] for coin in coins] == ["bitcoin", "ethereum"]  # by market cap
    eth = coins[1]
    assert eth["max_supply"] is None and eth["fully_diluted_valuation"] is None
    assert eth["roi"] is not None and "image" in eth and eth["symbol"] == "eth"
    assert coins[0]["roi"] is None
    assert isinstance(coins[0]["market_cap"], int)
    assert ISO_MILLIS.match(eth["last_updated"]) and ISO_MILLIS.match(eth["ath_date"])


@pytest.mark.integration
def test_one_day_of_candles_is_48_half_hours_with_the_newest_still_forming(
    standin: StandIn, now: datetime
) -> None:
    candles = get(standin, "/coins/bitcoin/ohlc", vs_currency="usd", days="1").json()
    assert len(candles) == 48
    closes = [datetime.fromtimestamp(c[0] / 1000, now.tzinfo) for c in candles]
    assert all(b - a == timedelta(minutes=30) for a, b in pairwise(closes))
    assert all(c.minute in (0, 30) and c.second == 0 for c in closes)
    assert closes[-2] <= now < closes[-1]
    week = get(standin, "/coins/bitcoin/ohlc", vs_currency="usd", days="7").json()
    assert len(week) == 42 and week[1][0] - week[0][0] == 4 * 3600 * 1000


@pytest.mark.integration
def test_the_same_clock_gives_the_same_answers(standin: StandIn) -> None:
    first = get(standin, "/coins/cardano/ohlc", vs_currency="usd", days="1").json()
    assert get(standin, "/coins/cardano/ohlc", vs_currency="usd", days="1").json() == first


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/coins/markets", {}, 400),
        ("/coins/markets", {"vs_currency": "eur"}, 400),
        ("/coins/no-such-coin/ohlc", {"vs_currency": "usd", "days": "1"}, 404),
        ("/coins/bitcoin/ohlc", {"vs_currency": "usd", "days": "max"}, 400),
        ("/coins/bitcoin/tickers", {}, 404),
    ],
)
@pytest.mark.integration
def test_bad_requests_get_coingecko_style_errors(
    standin: StandIn, path: str, params: dict[str, str], status: int
) -> None:
    answer = get(standin, path, **params)
    assert answer.status_code == status
    assert "error" in answer.json()


@pytest.mark.integration
def test_a_configured_key_is_required_in_the_demo_header() -> None:
    with StandIn(api_key="k1") as standin:
        missing = get(standin, "/coins/markets", vs_currency="usd")
        assert missing.status_code == 401
        assert missing.json()["status"] == {"error_code": 10002, "error_message": "API Key Missing"}
        headers = {"x-cg-demo-api-key": "k1"}
        url = standin.base_url + "/coins/markets"
        ok = requests.get(url, params={"vs_currency": "usd"}, headers=headers, timeout=10)
        assert ok.status_code == 200 and len(ok.json()) == 11


@pytest.mark.integration
def test_faults_fail_the_first_requests_of_their_target_only(standin: StandIn) -> None:
    standin.rate_limit["bitcoin"] = 2
    standin.server_errors["ethereum"] = 1
    standin.retry_after = 5
    statuses = [
        get(standin, "/coins/bitcoin/ohlc", vs_currency="usd", days="1").status_code
        for _ in range(3)
    ]
    assert statuses == [429, 429, 200]
    failed = get(standin, "/coins/ethereum/ohlc", vs_currency="usd", days="1")
    assert failed.status_code == 503 and failed.headers["Retry-After"] == "5"
    assert get(standin, "/coins/markets", vs_currency="usd").status_code == 200
    standin.retry_after = None
    standin.rate_limit["markets"] = 1
    limited = get(standin, "/coins/markets", vs_currency="usd")
    assert limited.status_code == 429 and "Retry-After" not in limited.headers
    assert limited.json()["status"]["error_code"] == 429


@pytest.mark.unit
def test_command_line_faults_and_clock() -> None:
    args = parse_args(
        [
            "--port",
            "0",
            "--fail-429",
            "markets:1",
            "--fail-5xx",
            "solana:3",
            "--retry-after",
            "none",
        ]
    )
    assert args.fail_429 == [("markets", 1)] and args.fail_5xx == [("solana", 3)]
    assert args.retry_after is None
    assert parse_args(["--now", "2026-05-18T12:49:21Z"]).now.hour == 12
    with pytest.raises(argparse.ArgumentTypeError):
        fault("solana")
