"""The end of the drain: `coinpulse verify` over the warehouse, on a gap `coinpulse repair`.

After the drain every trade the relay published is meant to be in a window, but the
DirectRunner keeps open windows in memory and acknowledges their messages first: a
pipeline that died and was restarted lost the minutes it held (docs/demo.md). Verify
finds those trade ids; repair then fetches their whole minutes over the exchange's
REST (the replay exchange's own, or Binance's) and rewrites them into the stack's
bucket and warehouse, while the stack is still up.

Repair runs as a process with its output in logs/repair.log; it is idempotent (the
same trades give the same objects, the loader's ledger loads each once). What can
fail is reported in the outcome, never raised: a warehouse another writer holds past
its wait, a repair that exits non-zero (ranges REST cannot serve) or runs longer than
REPAIR_TIMEOUT_SECONDS (then it is killed; running the demo's repair again finishes it).
"""

from __future__ import annotations

import subprocess
import threading

from coinpulse import completeness
from commands import verify, warehouse_db
from commands.stack.config import REPLAY, StackConfig
from commands.stack.processes import coinpulse_command

REPAIR_LOG = "repair.log"
# Repair retries an unanswered REST page for up to 5 minutes (docs/completeness.md),
# then gives the range up; twice that leaves room for the rewrite and the load.
REPAIR_TIMEOUT_SECONDS = 600.0


def repair_command(settings: StackConfig) -> list[str]:
    """``coinpulse repair`` over the stack's warehouse and bucket, from its exchange's REST."""
    rest = ["--rest-url", settings.url("exchange")] if settings.exchange == REPLAY else []
    lake = f"gs://{settings.bucket}"
    return coinpulse_command(
        "repair", "--warehouse", str(settings.warehouse), "--lake", lake, *rest
    )


def verify_and_repair(settings: StackConfig, hurry: threading.Event) -> str:
    """Verify; repair when verify finds a gap and nobody asked to stop at once. The outcome."""
    try:
        found = verify.check(settings.warehouse, completeness.Scope())
    except (FileNotFoundError, warehouse_db.WarehouseBusy) as error:
        return f"not run: verify could not read the warehouse ({error})"
    missing, twice = completeness.gaps(found)
    if not missing and not twice:
        return "not needed: verify found no trade id missing or counted twice"
    if hurry.is_set():
        return f"skipped (asked to stop at once): {missing} missing, {twice} counted twice"
    print(
        f"verify: {missing} trade ids missing, {twice} counted twice; running coinpulse repair "
        f"(up to {REPAIR_TIMEOUT_SECONDS:.0f} s, log: {settings.logs / REPAIR_LOG}) ...",
        flush=True,
    )
    before = f"{missing} missing and {twice} counted twice before"
    with open(settings.logs / REPAIR_LOG, "wb") as log:
        try:
            status = subprocess.run(
                repair_command(settings),
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=REPAIR_TIMEOUT_SECONDS,
                check=False,
            ).returncode
        except subprocess.TimeoutExpired:
            return f"stopped after {REPAIR_TIMEOUT_SECONDS:.0f} s ({before}; {REPAIR_LOG})"
    state = "the warehouse is complete" if status == 0 else f"exit {status}, see {REPAIR_LOG}"
    return f"ran: {state} ({before})"
