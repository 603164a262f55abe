"""Reading a JSON request body strictly, within `chalicelib.limits`.

Every route that parses a body (JSON:API documents, the token endpoint) goes through
`load_json`, so a body means exactly one thing or is a 400 (BAD_REQUEST) before
`json.loads` (whose recursion has no limit of its own) or DynamoDB sees it: oversize,
too deeply nested, non-finite numbers (pointer ""), a member repeated in one object, or
a string (value or member name) holding NUL or a lone surrogate (pointer at the member
or element, RFC 6901; for a member name, at the object holding it).
"""
from __future__ import annotations

import json
import math
import re
from typing import Any

from chalicelib.exceptions import BadRequestError, ErrorDetail
from chalicelib.limits import MAX_BODY_BYTES, MAX_JSON_DEPTH

# A JSON string (escapes included; unrolled so it never backtracks), and a bracket outside one.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_BRACKET = re.compile(r"[\[\]{}]")
# NUL, and surrogates: json.loads pairs escaped surrogates, so one left in a string is alone (not Unicode).
_FORBIDDEN = re.compile(r"[\x00\ud800-\udfff]")


class _Members(list[tuple[str, Any]]):
    """An object as `json.loads` read it: its members in order, repeats kept (`_build` makes the dict)."""


class _NotFinite(ValueError):
    """NaN, Infinity or a number that overflows to it: JSON has none, and JavaScript's JSON.parse refuses them."""


def _refuse(title: str, detail: str, pointer: str = "") -> BadRequestError:
    return BadRequestError(details=[ErrorDetail(title, detail, pointer=pointer)])


def _pointer(path: list[str]) -> str:
    """RFC 6901: each token with `~` as `~0` and `/` as `~1`."""
    return "".join("/" + token.replace("~", "~0").replace("/", "~1") for token in path)


def _check_text(text: str, what: str, path: list[str]) -> None:
    if found := _FORBIDDEN.search(text):
        char = found.group()
        why = "NUL (U+0000)" if char == "\x00" else f"a lone surrogate (U+{ord(char):04X}), which is not Unicode"
        raise _refuse("Invalid string", f"{what} holds {why}", _pointer(path))


def _build(value: Any, path: list[str]) -> Any:
    """`value` with its objects as dicts; 400 at the first repeated member or forbidden character.

    `path` is the route to `value` (member names, element indexes), extended and restored on the way down.
    """
    if isinstance(value, _Members):
        built: dict[str, Any] = {}
        for name, member in value:
            _check_text(name, "A member name in this object", path)
            path.append(name)
            if name in built:
                raise _refuse("Repeated member", f"{name!r} is given more than once in the same object",
                              _pointer(path))
            built[name] = _build(member, path)
            path.pop()
        return built
    if isinstance(value, list):
        items = []
        for index, item in enumerate(value):
            path.append(str(index))
            items.append(_build(item, path))
            path.pop()
        return items
    if isinstance(value, str):
        _check_text(value, "The string", path)
    return value


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotFinite(f"{text} is not a finite number")
    return value


def _constant(text: str) -> Any:
    raise _NotFinite(f"{text} is not a JSON value")


def too_deep(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether arrays and objects in `text` nest deeper than `limit` (strings skipped)."""
    depth = 0
    for bracket in _BRACKET.finditer(_STRING.sub('""', text)):
        if bracket.group() in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def check_size(raw_body: bytes | str) -> None:
    """400 for a body over MAX_BODY_BYTES."""
    # surrogatepass: a lone surrogate in a text body is refused by load_json with a pointer, not here.
    size = len(raw_body.encode("utf-8", "surrogatepass") if isinstance(raw_body, str) else raw_body)
    if size > MAX_BODY_BYTES:
        raise _refuse("Request body too large", f"The request body is {size} bytes; the limit is {MAX_BODY_BYTES}")


def load_json(raw_body: bytes | str) -> Any:
    """The JSON value of a body; 400 for one over a limit, not JSON, or not meaning exactly one thing."""
    check_size(raw_body)
    try:
        text = raw_body if isinstance(raw_body, str) else raw_body.decode(json.detect_encoding(raw_body))
    except UnicodeDecodeError as exc:
        raise _refuse("Invalid JSON", f"The request body is not valid JSON: {exc}") from None
    if too_deep(text):
        raise _refuse("JSON nested too deeply",
                      f"Arrays and objects in the request body nest deeper than {MAX_JSON_DEPTH} levels")
    try:
        parsed = json.loads(text, parse_float=_finite, parse_constant=_constant, object_pairs_hook=_Members)
    except ValueError as exc:
        raise _refuse("Invalid JSON", f"The request body is not valid JSON: {exc}") from None
    return _build(parsed, [])
