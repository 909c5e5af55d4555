"""The dbt project names coins through the one symbol map, and tracks the same pairs."""

import csv
import re

import pytest

from coinpulse import symbols
from commands import dbt_seed, transform

pytestmark = pytest.mark.unit


def test_the_committed_seed_is_the_symbol_map() -> None:
    seed = (transform.project_dir() / dbt_seed.SEED).read_text()
    rows = list(csv.DictReader(seed.splitlines()))
    assert [symbols.Coin(**row) for row in rows] == list(symbols.COINS)
    assert seed == dbt_seed.coins_csv()


def test_the_projects_default_pairs_are_the_maps_default_pairs() -> None:
    macro = (transform.project_dir() / "macros/tracked_pairs.sql").read_text()
    default = re.search(r"env_var\('COINPULSE_PAIRS', '([A-Z,]+)'\)", macro)
    assert default is not None
    assert tuple(default.group(1).split(",")) == symbols.DEFAULT_PAIRS
