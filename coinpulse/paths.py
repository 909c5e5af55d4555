"""Where local state lives: $COINPULSE_HOME, default .coinpulse/ in the working directory."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """The local state folder (created on demand by its users, not here)."""
    return Path(os.environ.get("COINPULSE_HOME", ".coinpulse")).resolve()
