"""The dbt seed of the symbol map: ``dbt/seeds/coins.csv`` from coinpulse.symbols.

    python -m commands.dbt_seed        # rewrite dbt/seeds/coins.csv from symbols.COINS

The marts name coins through this seed (pair, ticker, quote, CoinGecko id, name),
so it must be the production map exactly; tests/commands/test_dbt_seed.py fails
when the committed file and symbols.COINS disagree.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterable
from dataclasses import astuple, fields

from coinpulse import symbols
from commands import transform

SEED = "seeds/coins.csv"


def coins_csv(coins: Iterable[symbols.Coin] = symbols.COINS) -> str:
    """The seed's text: a header of Coin's fields, then one row per coin."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(field.name for field in fields(symbols.Coin))
    writer.writerows(astuple(coin) for coin in coins)
    return out.getvalue()


def main() -> int:
    (transform.project_dir() / SEED).write_text(coins_csv())
    return 0


if __name__ == "__main__":
    sys.exit(main())
