"""JSON text is decoded with a bounded nesting depth, never into a RecursionError."""

from __future__ import annotations

import pytest

from coinpulse import jsontext

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("text", ["[" * 100_000, '{"a":' * 100_000, "[" * 33 + "]" * 33])
def test_payloads_nested_deeper_than_the_limit_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="nested deeper than 32"):
        jsontext.loads(text)


def test_brackets_inside_strings_do_not_count() -> None:
    text = '[{"a": "' + "[" * 1000 + '\\"{"}]'
    assert jsontext.loads(text.encode()) == [{"a": "[" * 1000 + '"{'}]


def test_the_deepest_allowed_payload_decodes() -> None:
    value = jsontext.loads("[" * 32 + "]" * 32)
    depth = 0
    while isinstance(value, list):
        depth, value = depth + 1, value[0] if value else None
    assert depth == 32


def test_invalid_json_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        jsontext.loads(b"{not json")
    with pytest.raises(ValueError):
        jsontext.loads(b"\xff")
