"""One run of the daily lane for a date: fetch, build typed rows, write the lake files.

A run is idempotent per date: its files have deterministic names, so running a date
again replaces that date's files, and the loader replaces (markets) or upserts
(candles) instead of appending. A coin that still fails after the client's retries
is reported in the result while every other coin is written; ``RunResult.ok`` is
then False, which the functions turn into a non-2xx answer so that Scheduler retries.

A date's object always holds the latest good rows of every coin: before writing, a
run reads the date's previous object back and keeps its rows of the coins that
failed this time ("kept"), so a retry that fails another coin deletes nothing that
had loaded. Runs of one date are expected one after another (Scheduler does not
overlap the attempts of a job). When nothing succeeded, nothing is written.

The markets snapshot exists only for now (CoinGecko's /coins/markets has no history),
so a markets run for any date but today's UTC date is refused (DateRefused); candles
for another date are fetched as the API serves them (the last day, days=1).
Errors reading or writing the lake are not caught: they fail the whole run.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from coinpulse import lake, logs, paths, symbols
from functions.coingecko import writer
from functions.coingecko.client import (
    DEFAULT_BASE_URL,
    CoinGecko,
    CoinGeckoError,
    HttpCoinGecko,
    api_key_from_env,
)
from functions.coingecko.rows import InvalidPayload, market_rows, ohlc_rows

log = logging.getLogger(__name__)

LAKE_ENV = "COINPULSE_LAKE"
# Set by Cloud Run in every service and function revision
# (https://cloud.google.com/run/docs/container-contract#env-vars).
CLOUD_RUN_ENV = "K_SERVICE"
BASE_URL_ENV = "COINGECKO_BASE_URL"
# days=1 gives 30-minute candles covering the last 24 hours (docs: coins-id-ohlc).
OHLC_DAYS = 1
DATE_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def default_lake() -> str:
    """$COINPULSE_HOME/lake: the local lake shared with the other local stages."""
    return str(paths.home() / "lake")


class Misconfigured(RuntimeError):
    """Settings a run cannot start with: COINPULSE_LAKE missing in Cloud Run (the
    local disk there is no lake), or COINPULSE_PAIRS naming an unmapped pair."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Where to read and write and which coins; the key is kept out of repr so it never
    gets printed."""

    base_url: str
    lake: str
    coin_ids: tuple[str, ...]
    api_key: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls) -> Settings:
        """COINGECKO_BASE_URL, COINPULSE_LAKE, the coins of COINPULSE_PAIRS and
        COINGECKO_API_KEY, with defaults.

        Raises Misconfigured for an unmapped pair, and in Cloud Run (K_SERVICE set)
        without COINPULSE_LAKE, where the default local lake would be the instance's
        throwaway disk.
        """
        lake_root = os.environ.get(LAKE_ENV)
        if not lake_root and os.environ.get(CLOUD_RUN_ENV):
            raise Misconfigured(
                f"{LAKE_ENV} is not set: in Cloud Run the lake must be gs://BUCKET[/PREFIX]; "
                "nothing was fetched or written"
            )
        try:
            coin_ids = tuple(symbols.coin_ids(symbols.configured_pairs()))
        except symbols.UnknownSymbol as error:
            raise Misconfigured(f"{symbols.PAIRS_ENV}: {error}") from None
        return cls(
            base_url=os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL,
            lake=lake_root or default_lake(),
            coin_ids=coin_ids,
            api_key=api_key_from_env(),
        )


def parse_date(text: str | None, now: Clock = utc_now) -> date:
    """YYYY-MM-DD -> date; None or empty -> today's UTC date. Raises ValueError."""
    if not text:
        return now().date()
    if not DATE_TEXT.match(text):
        raise ValueError(f"date must be YYYY-MM-DD, got {text!r}")
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise ValueError(f"date {text} does not exist: {error}") from None


class DateRefused(ValueError):
    """A markets run for a date other than today's: the API has no past snapshots."""


def check_date(day: date, kinds: Sequence[str], now: Clock = utc_now) -> None:
    """Raises DateRefused when ``kinds`` holds "markets" and ``day`` is not today (UTC)."""
    today = now().date()
    if "markets" in kinds and day != today:
        raise DateRefused(
            f"the markets snapshot can only be taken for today's UTC date ({today}), "
            f"not {day}: CoinGecko's /coins/markets has no history; "
            "candles (ohlc) for another date are allowed"
        )


@dataclass
class LoadResult:
    """What one load wrote, which coins failed (coin id -> reason) and which coins'
    rows were kept from the date's previous object."""

    table: str
    rows: int = 0
    uri: str | None = None
    failures: dict[str, str] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "object": self.uri,
            "failed": self.failures,
            "kept": self.kept,
            "ok": self.ok,
        }


@dataclass
class RunResult:
    snapshot_date: date
    loads: list[LoadResult]

    @property
    def ok(self) -> bool:
        return all(load.ok for load in self.loads)

    def summary(self) -> dict[str, Any]:
        return {
            "snapshot_date": self.snapshot_date.isoformat(),
            "ok": self.ok,
            "tables": {load.table: load.summary() for load in self.loads},
        }


def _with_kept_rows(
    result: LoadResult, target: str, route: lake.Route, day: date, data: pa.Table
) -> pa.Table:
    """``data`` plus the previous object's rows of the coins that failed this run."""
    previous = writer.read(target, route, day)
    if previous is None or not result.failures:
        return data
    failed = pa.array(sorted(result.failures), pa.string())
    kept = previous.filter(pc.is_in(previous.column("coin_id"), value_set=failed))
    result.kept = sorted(set(kept.column("coin_id").to_pylist()))
    return pa.concat_tables([data, kept])


def _write(result: LoadResult, target: str, route: lake.Route, day: date, rows: list[Any]) -> None:
    if rows:
        data = _with_kept_rows(result, target, route, day, writer.to_arrow(rows, route))
        result.uri = writer.write(target, route, day, data)
        result.rows = data.num_rows
    log.info(
        "CoinGecko load written" if rows else "CoinGecko load had nothing to write",
        extra=logs.fields(
            table=route.table,
            snapshot_date=day.isoformat(),
            rows=result.rows,
            object=result.uri,
            failed=result.failures,
            kept=result.kept,
        ),
    )


def load_markets(
    client: CoinGecko,
    target: str,
    day: date,
    *,
    coin_ids: Sequence[str],
    now: Clock = utc_now,
) -> LoadResult:
    """One /coins/markets call -> the date's markets file (one row per coin)."""
    result = LoadResult(lake.COINGECKO_MARKETS.table)
    try:
        payload = client.markets(coin_ids)
        rows, result.failures = market_rows(payload, coin_ids, day, now())
    except (CoinGeckoError, InvalidPayload) as error:
        log.error("CoinGecko markets call failed", extra=logs.fields(reason=str(error)))
        rows, result.failures = [], dict.fromkeys(coin_ids, str(error))
    _write(result, target, lake.COINGECKO_MARKETS, day, rows)
    return result


def load_ohlc(
    client: CoinGecko,
    target: str,
    day: date,
    *,
    coin_ids: Sequence[str],
    now: Clock = utc_now,
) -> LoadResult:
    """One /coins/{id}/ohlc call per coin -> the date's candles file."""
    result = LoadResult(lake.COINGECKO_OHLC.table)
    rows: list[Any] = []
    for coin_id in coin_ids:
        try:
            payload = client.ohlc(coin_id, OHLC_DAYS)
            rows += ohlc_rows(payload, coin_id, OHLC_DAYS, day, now())
        except (CoinGeckoError, InvalidPayload) as error:
            log.error(
                "CoinGecko OHLC call failed",
                extra=logs.fields(coin_id=coin_id, reason=str(error)),
            )
            result.failures[coin_id] = str(error)
    _write(result, target, lake.COINGECKO_OHLC, day, rows)
    return result


LOADS: dict[str, Callable[..., LoadResult]] = {"markets": load_markets, "ohlc": load_ohlc}


def run(
    client: CoinGecko,
    target: str,
    day: date,
    *,
    coin_ids: Sequence[str],
    kinds: Sequence[str] = ("markets", "ohlc"),
    now: Clock = utc_now,
) -> RunResult:
    """Run the chosen loads ("markets", "ohlc") of the coins for a date.

    Raises DateRefused."""
    check_date(day, kinds, now)
    if day != now().date():
        log.warning(
            "Run date is not today's UTC date; the candles are still the last day's",
            extra=logs.fields(snapshot_date=day.isoformat()),
        )
    loads = [LOADS[kind](client, target, day, coin_ids=coin_ids, now=now) for kind in kinds]
    return RunResult(day, loads)


def run_once(
    settings: Settings, day: date, kinds: Sequence[str] = ("markets", "ohlc")
) -> RunResult:
    """One run against the live client of ``settings``: what Scheduler triggers."""
    with HttpCoinGecko(settings.base_url, settings.api_key) as client:
        return run(client, settings.lake, day, coin_ids=settings.coin_ids, kinds=kinds)
