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


@pytest.mark.parametrize("raw, pointer", [
    ('{"a": 1, "a": 1}', "/a"),
    ('{"data": {"type": "cleanup_previews", "attributes": {"resource_type": "skus", '
     '"filters": {"code_eq": "NOPE"}, "filters": {}}}}', "/data/attributes/filters"),
    ('{"data": {"attributes": {"metadata": {"tags": [{"k": 1}, {"k": 1, "v": 2, "k": 3}]}}}}',
     "/data/attributes/metadata/tags/1/k"),
    ('{"a/b": {"m~n": 1, "m~n": 2}}', "/a~1b/m~0n"),
    ('{"~1": {"~/": 1, "~/": 2}}', "/~01/~0~1"),
    ('{"": {"": 1, "": 2}}', "//"),
])
def test_load_json_refuses_a_repeated_member_pointing_at_it(raw: str, pointer: str) -> None:
    # Given a body where one object names a member twice (read as its last copy by json.loads alone)
    # When it is loaded
    with pytest.raises(BadRequestError) as refused:
        load_json(raw)
    # Then it is a 400 naming the member, with an RFC 6901 pointer to it
    detail = refused.value.details[0]
    assert (detail.title, detail.pointer) == ("Repeated member", pointer)
    assert refused.value.code == "BAD_REQUEST"


def test_load_json_takes_the_same_name_in_different_objects() -> None:
    # Given a body that names "filters" once per object, at several depths
    raw = '{"filters": {"filters": {"filters": 1}}, "list": [{"filters": 2}, {"filters": 3}]}'
    # When it is loaded / Then it is read as written
    assert load_json(raw) == {"filters": {"filters": {"filters": 1}}, "list": [{"filters": 2}, {"filters": 3}]}


@pytest.mark.parametrize("raw, pointer, held", [
    ('{"a": "\\ud800"}', "/a", "lone surrogate (U+D800)"),
    ('{"a": ["ok", "x\\udfffy"]}', "/a/1", "lone surrogate (U+DFFF)"),
    ('{"a": "\\ude00\\ud83d"}', "/a", "lone surrogate (U+DE00)"),   # a low before a high pairs nothing
    ('{"a": {"b": "\\u0000"}}', "/a/b", "NUL (U+0000)"),
    ('["\\u0000"]', "/0", "NUL (U+0000)"),
    ('"\\ud800"', "", "lone surrogate (U+D800)"),
    ('{"a": {"k\\ud800": 1}}', "/a", "lone surrogate (U+D800)"),      # a member name: the object holding it
    ('{"k\\u0000": 1}', "", "NUL (U+0000)"),
    ('{"a": "ok", "a\\u0000": "\\u0000"}', "", "NUL (U+0000)"),
])
def test_load_json_refuses_nul_and_lone_surrogates_pointing_at_what_holds_them(raw: str, pointer: str,
                                                                               held: str) -> None:
    # Given a body with NUL or a lone surrogate in a string value or a member name
    # When it is loaded
    with pytest.raises(BadRequestError) as refused:
        load_json(raw)
    # Then it is a 400 saying what the string holds, pointing at the member or element
    detail = refused.value.details[0]
    assert (detail.title, detail.pointer) == ("Invalid string", pointer)
    assert held in detail.detail


def test_load_json_refuses_a_lone_surrogate_in_a_str_body() -> None:
    # Given a body handed over as text holding a surrogate character itself, not an escape
    # When it is loaded / Then it is refused like the escape
    with pytest.raises(BadRequestError) as refused:
        load_json('{"a": "\ud800"}')
    assert refused.value.details[0].pointer == "/a"


@pytest.mark.parametrize("raw, value", [
    ('{"a": "\\ud83d\\ude00", "b": "\\u00e9\\u0001"}', {"a": "😀", "b": "é\x01"}),
    ('{"data": {"type": "cleanups", "attributes": {"filters": {"code_in": ["A", "B"]}, "metadata": null}}}',
     {"data": {"type": "cleanups", "attributes": {"filters": {"code_in": ["A", "B"]}, "metadata": None}}}),
    ('[[], {}, [{}], {"": ""}, true, false, null, 0, -0.5]', [[], {}, [{}], {"": ""}, True, False, None, 0, -0.5]),
    ('"text"', "text"),
])
def test_load_json_reads_valid_bodies_unchanged(raw: str, value: object) -> None:
    # Given a valid body (surrogate pairs, other control escapes, empty names, nesting)
    # When it is loaded / Then it is what json.loads reads, every object a plain dict
    loaded = load_json(raw.encode())
    assert loaded == value
    assert type(loaded) is type(value)
