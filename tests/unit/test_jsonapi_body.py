"""Reading request bodies within the input limits (chalicelib.jsonapi.body)."""
from __future__ import annotations

import pytest

from chalicelib.exceptions import BadRequestError
from chalicelib.jsonapi.body import load_json, too_deep
from chalicelib.limits import MAX_BODY_BYTES, MAX_JSON_DEPTH


@pytest.mark.parametrize("text, deep", [
    ("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH, False),
    ("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1), True),
    ('{"a": "' + "[" * 1000 + '"}', False),           # brackets inside a string do not nest
    ('{"a": "\\"' + "{" * 1000 + '"}', False),       # nor after an escaped quote
    ('"unterminated ' + "[" * 1000, True),            # an unterminated string hides nothing
])
def test_too_deep_counts_only_brackets_outside_strings(text: str, deep: bool) -> None:
    assert too_deep(text) is deep


@pytest.mark.parametrize("raw, title", [
    (b"x" * (MAX_BODY_BYTES + 1), "Request body too large"),
    ("[" * 100_000 + "]" * 100_000, "JSON nested too deeply"),
    ('{"a": NaN}', "Invalid JSON"),
    ('{"a": -Infinity}', "Invalid JSON"),
    ('{"a": 1e999}', "Invalid JSON"),
    (b"\xff\xfe\xfa", "Invalid JSON"),
    ('{"a": ' + "9" * 5000 + "}", "Invalid JSON"),
])
def test_load_json_refuses_with_a_titled_400(raw: bytes | str, title: str) -> None:
    # Given a body over a limit or not JSON / When it is loaded / Then a 400 says which, pointing at the document
    with pytest.raises(BadRequestError) as refused:
        load_json(raw)
    assert refused.value.details[0].title == title
    assert refused.value.details[0].pointer == ""


def test_load_json_reads_finite_numbers_and_utf8() -> None:
    assert load_json('{"a": [1, 2.5, -1e10, "é"]}'.encode()) == {"a": [1, 2.5, -1e10, "é"]}
