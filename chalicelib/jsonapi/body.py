"""Reading a JSON request body within `chalicelib.limits`: size, nesting, finite numbers.

Every route that parses a body (JSON:API documents, the token endpoint) goes through
`load_json`, so an oversize, too deeply nested or non-finite body is a 400 before
`json.loads` (whose recursion has no limit of its own) or DynamoDB sees it.
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


class _NotFinite(ValueError):
    """NaN, Infinity or a number that overflows to it: JSON has none, and JavaScript's JSON.parse refuses them."""


def _refuse(title: str, detail: str) -> BadRequestError:
    return BadRequestError(details=[ErrorDetail(title, detail, pointer="")])


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
    size = len(raw_body.encode("utf-8") if isinstance(raw_body, str) else raw_body)
    if size > MAX_BODY_BYTES:
        raise _refuse("Request body too large", f"The request body is {size} bytes; the limit is {MAX_BODY_BYTES}")


def load_json(raw_body: bytes | str) -> Any:
    """The JSON value of a body; 400 (pointer "") for one that is too large, too deep or not JSON."""
    check_size(raw_body)
    try:
        text = raw_body if isinstance(raw_body, str) else raw_body.decode(json.detect_encoding(raw_body))
    except UnicodeDecodeError as exc:
        raise _refuse("Invalid JSON", f"The request body is not valid JSON: {exc}") from None
    if too_deep(text):
        raise _refuse("JSON nested too deeply",
                      f"Arrays and objects in the request body nest deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(text, parse_float=_finite, parse_constant=_constant)
    except ValueError as exc:
        raise _refuse("Invalid JSON", f"The request body is not valid JSON: {exc}") from None
