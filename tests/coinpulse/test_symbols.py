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
