import json
from pathlib import Path

import pytest

from coinpulse import symbols

pytestmark = pytest.mark.unit


def test_default_pairs_map_to_coingecko_ids_and_tickers() -> None:
    names = {
        pair: (symbols.by_pair(pair).coin_id, symbols.by_pair(pair).ticker)
        for pair in symbols.DEFAULT_PAIRS
    }
    assert names == {
        "BTCUSDT": ("bitcoin", "BTC"),
        "ETHUSDT": ("ethereum", "ETH"),
        "SOLUSDT": ("solana", "SOL"),
        "BNBUSDT": ("binancecoin", "BNB"),
        "ADAUSDT": ("cardano", "ADA"),
    }


def test_the_map_is_one_to_one() -> None:
    for attribute in ("pair", "coin_id"):
        values = [getattr(coin, attribute) for coin in symbols.COINS]
        assert len(values) == len(set(values)), attribute
    for coin in symbols.COINS:
        assert symbols.by_coin_id(coin.coin_id) is coin
        assert coin.pair == coin.ticker + coin.quote


def test_parse_pairs_normalizes_and_rejects_unknown() -> None:
    assert symbols.parse_pairs(" btcusdt,ETHUSDT,btcusdt ") == ["BTCUSDT", "ETHUSDT"]
    with pytest.raises(symbols.UnknownSymbol, match="NOPEUSDT"):
        symbols.parse_pairs("BTCUSDT,NOPEUSDT")
    with pytest.raises(symbols.UnknownSymbol):
        symbols.parse_pairs(" , ")


def test_the_production_map_holds_no_pairs_of_the_test_recording() -> None:
    for pair in ("CRVUSDT", "COMPUSDT", "OMGBUSD", "ZRXUSDT"):
        with pytest.raises(symbols.UnknownSymbol):
            symbols.by_pair(pair)
    assert symbols.coin_id_for("OMGBUSD") is None


def test_the_tracked_pairs_default_to_the_five_and_come_from_coinpulse_pairs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("COINPULSE_PAIRS", raising=False)
    assert symbols.configured_pairs() == ["BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT", "ADAUSDT"]
    monkeypatch.setenv("COINPULSE_PAIRS", "ethusdt, BTCUSDT")
    assert symbols.configured_pairs() == ["ETHUSDT", "BTCUSDT"]
    assert symbols.coin_ids(symbols.configured_pairs()) == ["ethereum", "bitcoin"]
    monkeypatch.setenv("COINPULSE_PAIRS", "BTCUSDT,OMGBUSD")
    with pytest.raises(symbols.UnknownSymbol, match="OMGBUSD"):
        symbols.configured_pairs()


def test_a_symbol_map_file_adds_coins_and_its_pairs_resolve(recorded_pairs: list[str]) -> None:
    assert recorded_pairs == ["CRVUSDT", "COMPUSDT", "OMGBUSD", "ZRXUSDT"]
    assert symbols.by_pair("omgbusd").coin_id == "omisego"
    assert symbols.by_coin_id("0x").pair == "ZRXUSDT"
    assert symbols.coin_id_for("BTCUSDT") == "bitcoin"  # the production coins stay


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("not json", "not JSON"),
        ('{"pair": "X"}', "a list"),
        ('[{"pair": "CRVUSDT"}]', "missing"),
        (
            '[{"pair": "crvusdt", "ticker": "CRV", "quote": "USDT", "coin_id": "c", "name": "C"}]',
            "upper case",
        ),
    ],
)
def test_a_bad_symbol_map_file_is_refused_with_the_reason(
    tmp_path: Path, content: str, reason: str
) -> None:
    path = tmp_path / "extra.json"
    path.write_text(content)
    with pytest.raises(symbols.SymbolMapError, match=reason):
        symbols.read_map_file(path)


def test_a_symbol_map_file_cannot_rename_a_mapped_coin(tmp_path: Path) -> None:
    path = tmp_path / "extra.json"
    entry = {"pair": "BTCUSDT", "ticker": "BTC", "quote": "USDT", "coin_id": "x", "name": "x"}
    path.write_text(json.dumps([entry]))
    try:
        with pytest.raises(symbols.SymbolMapError, match="BTCUSDT"):
            symbols.load(str(path))
        assert symbols.by_pair("BTCUSDT").coin_id == "bitcoin"  # the map is unchanged
    finally:
        symbols.load()
