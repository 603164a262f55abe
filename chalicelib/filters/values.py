"""Coercion of raw filter values (query-string text or JSON) to the attribute's type."""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from chalicelib.filters.exceptions import FilterValueError
from chalicelib.filters.predicates import Predicate
from chalicelib.limits import MAX_KEY_CHARS, max_list_values
from chalicelib.numbers import number_fits
from chalicelib.tenancy import iso, parse_iso

_TRUE = frozenset({"true", "t", "1"})
_FALSE = frozenset({"false", "f", "0"})
_INTEGER = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def coerce_value(predicate: Predicate, kind: str, raw: Any, key: str) -> Any:
    """`raw` as the predicate and the attribute type `kind` need it.

    A blank value is refused, where Ransack drops the condition: for a cleanup that would widen
    the selection to every record. Flags (`_null`, `_true`, ...) take true/false, never blank.
    """
    shape = predicate.shape
    if shape == "flag":
        return to_flag(raw, key)
    if shape == "object":
        return to_object(raw, key)
    if shape == "list":
        return [to_scalar(kind, item, key) for item in to_list(raw, key)]
    return to_scalar(kind, raw, key)


def _blank(raw: Any) -> bool:
    return isinstance(raw, str) and not raw.strip()


def to_flag(raw: Any, key: str) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
        return raw.strip().lower() in _TRUE
    raise FilterValueError(key, f"{raw!r} is not a boolean (true, false, 1, 0, t, f)")


def to_list(raw: Any, key: str) -> list[Any]:
    if isinstance(raw, list | tuple):
        items = list(raw)
    elif isinstance(raw, str):
        items = raw.split(",") if raw else []
    elif isinstance(raw, int | float):
        items = [raw]
    else:
        raise FilterValueError(key, "must be an array or a comma-separated list")
    if not items or _blank(raw):
        # Ransack would drop the condition: for a cleanup that would widen the selection to everything.
        raise FilterValueError(key, "must not be empty")
    if len(items) > max_list_values():
        raise FilterValueError(key, f"has {len(items)} values; at most {max_list_values()} are allowed")
    return items


def to_object(raw: Any, key: str) -> dict[str, Any]:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise FilterValueError(key, "must be a JSON object") from None
    if not isinstance(raw, dict):
        raise FilterValueError(key, "must be a JSON object")
    _check_json(raw, key)
    return raw


def _check_json(value: Any, key: str) -> None:
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise FilterValueError(key, "object keys must be strings")
        for item in value.values():
            _check_json(item, key)
    elif isinstance(value, list):
        for item in value:
            _check_json(item, key)
    elif isinstance(value, float):
        _check_float(value, key)
    elif isinstance(value, int) and not isinstance(value, bool):
        to_integer(value, key)
    elif value is not None and not isinstance(value, str | int):
        raise FilterValueError(key, f"{value!r} is not a JSON value")


def to_scalar(kind: str, raw: Any, key: str) -> Any:
    if raw is None or isinstance(raw, dict | list):
        raise FilterValueError(key, f"{raw!r} is not a single {kind} value")
    if _blank(raw):
        raise FilterValueError(key, "must not be blank (Ransack would ignore the condition; this service refuses it)")
    if isinstance(raw, str) and len(raw) > MAX_KEY_CHARS:
        raise FilterValueError(key, f"a value is longer than {MAX_KEY_CHARS} characters")
    return _SCALARS[kind](raw, key)


def to_string(raw: Any, key: str) -> str:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    return raw if isinstance(raw, str) else str(raw)


def to_integer(raw: Any, key: str) -> int:
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, str) and _INTEGER.fullmatch(raw.strip()):
        raw = int(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise FilterValueError(key, f"{raw!r} is not an integer")
    if not number_fits(raw):
        raise FilterValueError(key, f"{raw!r} is out of range")
    return raw


def to_float(raw: Any, key: str) -> float:
    if isinstance(raw, str) and _FLOAT.fullmatch(raw.strip()):
        raw = float(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise FilterValueError(key, f"{raw!r} is not a number")
    return _check_float(float(raw), key)


def _check_float(value: float, key: str) -> float:
    if not number_fits(value):
        raise FilterValueError(key, f"{value!r} is out of range")
    return value


def to_datetime(raw: Any, key: str) -> str:
    """Any ISO 8601 date or time, as the canonical UTC text records store (string order is time order)."""
    if not isinstance(raw, str):
        raise FilterValueError(key, f"{raw!r} is not an ISO 8601 date-time")
    try:
        return iso(parse_iso(raw.strip()))
    except ValueError:
        raise FilterValueError(key, f"{raw!r} is not an ISO 8601 date-time") from None


_SCALARS: dict[str, Callable[[Any, str], Any]] = {
    "string": to_string,
    "integer": to_integer,
    "float": to_float,
    "boolean": to_flag,
    "datetime": to_datetime,
}
