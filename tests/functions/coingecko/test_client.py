"""The CoinGecko client against the stand-in: headers, rate limit, retries, key secrecy."""

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from coinpulse import logs, symbols
from functions.coingecko import client as cg
from standins.coingecko import StandIn

KEY = "CG-test-secret-key-0123456789"


class FakeTime:
    """A monotonic clock that moves only when something sleeps; records each sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def client(standin: StandIn, fake_time: FakeTime) -> Iterator[cg.HttpCoinGecko]:
    with cg.HttpCoinGecko(
        standin.base_url, per_minute=6000, sleep=fake_time.sleep, clock=fake_time.monotonic
    ) as http:
        yield http


def retry_sleeps(fake_time: FakeTime) -> list[float]:
    """Sleeps longer than the limiter's 10 ms spacing: the retry waits."""
    return [seconds for seconds in fake_time.sleeps if seconds > 0.01]


@pytest.mark.integration
def test_requests_carry_coingeckos_parameters_and_a_user_agent(
    client: cg.HttpCoinGecko, standin: StandIn
) -> None:
    ids = [coin.coin_id for coin in symbols.COINS]
    assert len(client.markets(ids)) == len(ids)
    assert len(client.ohlc("bitcoin", 1)) == 48
    markets, ohlc = standin.seen
    assert markets.query["vs_currency"] == ["usd"] and markets.query["ids"] == [",".join(ids)]
    assert ohlc.path == "/api/v3/coins/bitcoin/ohlc" and ohlc.query["days"] == ["1"]
    assert markets.user_agent and markets.user_agent.startswith("coinpulse/")
    assert markets.demo_key is None


@pytest.mark.integration
def test_the_key_goes_in_the_demo_header_or_the_pro_header_on_the_pro_host() -> None:
    standin = StandIn(api_key=KEY).start()
    try:
        with cg.HttpCoinGecko(standin.base_url, KEY) as http:
            http.ohlc("bitcoin", 1)
        assert standin.seen[0].demo_key == KEY and standin.seen[0].status == 200
        assert KEY not in standin.seen[0].path + str(standin.seen[0].query)
    finally:
        standin.close()
    assert cg.key_header("https://pro-api.coingecko.com/api/v3") == cg.PRO_KEY_HEADER
    assert cg.key_header(cg.DEFAULT_BASE_URL) == cg.DEMO_KEY_HEADER


@pytest.mark.unit
def test_rate_follows_the_plan_unless_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(cg.CALLS_PER_MINUTE_ENV, raising=False)
    assert cg.calls_per_minute(cg.DEFAULT_BASE_URL, KEY) == 30
    assert cg.calls_per_minute(cg.DEFAULT_BASE_URL, None) == 10
    assert cg.calls_per_minute("http://127.0.0.1:8765/api/v3", None) == 6000
    monkeypatch.setenv(cg.CALLS_PER_MINUTE_ENV, "5")
    assert cg.calls_per_minute(cg.DEFAULT_BASE_URL, KEY) == 5
    monkeypatch.setenv(cg.CALLS_PER_MINUTE_ENV, "0")
    with pytest.raises(ValueError):
        cg.calls_per_minute(cg.DEFAULT_BASE_URL, KEY)


@pytest.mark.integration
def test_requests_are_spaced_to_the_plans_rate(standin: StandIn, fake_time: FakeTime) -> None:
    with cg.HttpCoinGecko(
        standin.base_url, per_minute=30, sleep=fake_time.sleep, clock=fake_time.monotonic
    ) as http:
        for coin_id in ("bitcoin", "ethereum", "solana"):
            http.ohlc(coin_id, 1)
    assert fake_time.sleeps == [2.0, 2.0]


@pytest.mark.integration
def test_a_429_waits_as_long_as_retry_after_says(
    client: cg.HttpCoinGecko, standin: StandIn, fake_time: FakeTime
) -> None:
    standin.retry_after = 7
    standin.rate_limit["bitcoin"] = 1
    assert len(client.ohlc("bitcoin", 1)) == 48
    assert [seen.status for seen in standin.requests_for("bitcoin")] == [429, 200]
    assert retry_sleeps(fake_time) == [7.0]


@pytest.mark.integration
def test_a_429_without_retry_after_waits_out_the_minute(
    client: cg.HttpCoinGecko, standin: StandIn, fake_time: FakeTime
) -> None:
    standin.retry_after = None
    standin.rate_limit["markets"] = 1
    client.markets(["bitcoin"])
    assert retry_sleeps(fake_time) == [60.0]


@pytest.mark.integration
def test_5xx_backs_off_exponentially_or_as_retry_after_says(
    client: cg.HttpCoinGecko, standin: StandIn, fake_time: FakeTime
) -> None:
    standin.retry_after = None
    standin.server_errors["solana"] = 2
    client.ohlc("solana", 1)
    standin.retry_after = 3
    standin.server_errors["cardano"] = 1
    client.ohlc("cardano", 1)
    assert retry_sleeps(fake_time) == [2.0, 4.0, 3.0]


@pytest.mark.integration
def test_a_coin_that_keeps_failing_gives_up_after_the_last_attempt(
    client: cg.HttpCoinGecko, standin: StandIn, fake_time: FakeTime
) -> None:
    standin.retry_after = None
    standin.server_errors["ripple"] = 100
    with pytest.raises(cg.CoinGeckoError, match=r"ripple: HTTP 503.*after 4 attempts") as error:
        client.ohlc("ripple", 1)
    assert error.value.status == 503
    assert len(standin.requests_for("ripple")) == cg.MAX_ATTEMPTS
    assert retry_sleeps(fake_time) == [2.0, 4.0, 8.0]


@pytest.mark.integration
def test_a_retry_after_beyond_the_cap_or_the_runs_window_gives_up_without_waiting(
    client: cg.HttpCoinGecko, standin: StandIn, fake_time: FakeTime
) -> None:
    standin.retry_after = 3600
    standin.rate_limit["bitcoin"] = 1
    with pytest.raises(cg.CoinGeckoError, match="asked to wait 3600 s"):
        client.ohlc("bitcoin", 1)
    standin.retry_after = 30
    standin.rate_limit["ethereum"] = 1
    fake_time.now = client.retry_until - 10
    with pytest.raises(cg.CoinGeckoError, match="retry window is over"):
        client.ohlc("ethereum", 1)
    assert retry_sleeps(fake_time) == []


@pytest.mark.integration
def test_other_client_errors_are_not_retried(client: cg.HttpCoinGecko, standin: StandIn) -> None:
    with pytest.raises(cg.CoinGeckoError, match="HTTP 404: coin not found") as error:
        client.ohlc("no-such-coin", 1)
    assert error.value.status == 404
    assert len(standin.seen) == 1


@pytest.mark.integration
def test_an_unreachable_server_is_retried_then_reported(fake_time: FakeTime) -> None:
    with StandIn() as gone:
        base_url = gone.base_url
    with (
        cg.HttpCoinGecko(base_url, sleep=fake_time.sleep, clock=fake_time.monotonic) as http,
        pytest.raises(cg.CoinGeckoError, match="ConnectionError") as error,
    ):
        http.ohlc("bitcoin", 1)
    assert error.value.status is None
    assert retry_sleeps(fake_time) == [2.0, 4.0, 8.0]


@pytest.mark.unit
def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = datetime(2026, 5, 18, 12, 0, tzinfo=UTC)
    assert cg.retry_after_seconds("5") == 5.0
    assert cg.retry_after_seconds("Mon, 18 May 2026 12:00:30 GMT", now) == 30.0
    assert cg.retry_after_seconds("Mon, 18 May 2026 11:00:00 GMT", now) == 0.0
    assert cg.retry_after_seconds("soon") is None
    assert cg.retry_after_seconds(None) is None


@pytest.mark.integration
def test_the_key_never_appears_in_logs_or_errors(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str], fake_time: FakeTime
) -> None:
    caplog.set_level(logging.DEBUG)
    standin = StandIn(api_key=KEY, rate_limit={"bitcoin": 1}, server_errors={"ethereum": 9})
    standin.start()
    errors = []
    try:
        with cg.HttpCoinGecko(
            standin.base_url, KEY, sleep=fake_time.sleep, clock=fake_time.monotonic
        ) as http:
            http.ohlc("bitcoin", 1)
            with pytest.raises(cg.CoinGeckoError) as failed:
                http.ohlc("ethereum", 1)
            errors.append(str(failed.value))
        with cg.HttpCoinGecko(standin.base_url, KEY[::-1]) as wrong:
            with pytest.raises(cg.CoinGeckoError, match="HTTP 401: Invalid API Key") as refused:
                wrong.ohlc("bitcoin", 1)
            errors.append(str(refused.value))
    finally:
        standin.close()
    formatter = logs.CloudLoggingFormatter()
    logged = "\n".join(formatter.format(record) for record in caplog.records)
    assert "retrying" in logged  # the retries were logged ...
    captured = capsys.readouterr()
    for text in (logged, captured.out, captured.err, *errors):
        assert KEY not in text and KEY[::-1] not in text  # ... without the key
