"""Local files written atomically: readers see the old content or the new, never a part.

A temporary file beside the target (``.NAME.UUID.tmp``, a name the loader treats as
temporary, ``coinpulse.lake.TEMPORARY_PARTS``) is written, flushed to disk, then
renamed over the target; a process killed midway leaves at most that temporary file,
which is removed when the write fails in-process.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path


def write_atomically(target: Path, payload: bytes) -> None:
    """Replace ``target`` (creating its folders) with ``payload``. Raises OSError."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.parent / f".{target.name}.{uuid.uuid4().hex}.tmp"
    try:
        with open(temporary, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
