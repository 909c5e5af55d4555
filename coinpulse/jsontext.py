"""JSON text -> Python values, with a bounded nesting depth.

``json.loads`` recurses once per level of nesting, so ``[[[[...`` a few thousand
levels deep raises RecursionError, which no caller expects from bad input. The
depth is measured first, in one pass over the brackets outside strings, and a
deeper payload is refused with a ValueError like any other invalid JSON.
"""

from __future__ import annotations

import json
import re
from typing import Any

# The deepest payload CoinPulse reads is a combined-stream envelope around a trade
# event or a dead-letter message (2 levels); 32 leaves room for any future field and
# stays far below Python's recursion limit (1,000 frames, sys.getrecursionlimit()).
MAX_DEPTH = 32
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"?', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")


def depth(text: str) -> int:
    """The deepest nesting of arrays and objects in JSON text (brackets in strings do not count)."""
    deepest = level = 0
    for bracket in _BRACKETS.findall(_STRINGS.sub("", text)):
        level += 1 if bracket in "[{" else -1
        deepest = max(deepest, level)
    return deepest


def loads(raw: str | bytes) -> Any:
    """JSON text (bytes as UTF-8) -> value. Raises ValueError for invalid or too deep JSON."""
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    if depth(text) > MAX_DEPTH:
        raise ValueError(f"JSON nested deeper than {MAX_DEPTH} levels")
    return json.loads(text)
