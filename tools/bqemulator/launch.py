"""Start bqemulator, offline, with the one storage type it cannot create on DuckDB fixed.

Run with the emulator's own virtualenv (``make bq-emulator``); the arguments are
bqemulator's own (``launch.py start --help``).

- bqemulator loads DuckDB's ``spatial`` extension at start and would download it, which
  fails offline. The ``duckdb-extension-spatial`` wheel ships it: it is installed from
  there first, into ``$HOME/.duckdb`` (the caller gives the emulator a HOME of its own).
- bqemulator stores BIGNUMERIC as DuckDB ``DECIMAL(76, 38)``, a width DuckDB refuses
  ("DECIMAL type width must be between 1 and 38"), so no table with a BIGNUMERIC column
  could be created. Here it is stored as ``DECIMAL(38, 16)``: the widest scale the
  project's schemas declare (``coinpulse/schemas/*.json``, stream_prices' quote sums),
  with 22 integer digits. A value beyond that fails loudly in the emulator.
"""

from pathlib import Path

import duckdb
import duckdb_extension_spatial
from bqemulator import cli
from bqemulator.storage import type_map

# DuckDB decimals hold at most 38 digits (DuckDB docs, "Fixed-point decimals").
BIGNUMERIC_STORAGE = "DECIMAL(38, 16)"

SPATIAL = (
    Path(duckdb_extension_spatial.__file__).parent
    / "extensions"
    / f"v{duckdb.__version__}"
    / "spatial.duckdb_extension"
)

if __name__ == "__main__":
    duckdb.sql(f"INSTALL '{SPATIAL}'")
    type_map._BQ_TO_DUCKDB["BIGNUMERIC"] = BIGNUMERIC_STORAGE
    cli.main()
