"""Filters from the command line: repeatable `-w key=value` and `--filters JSON`, as one flat object."""
from __future__ import annotations

import json
from typing import Any


class FilterSyntaxError(ValueError):
    """A `-w` without `=`, or `--filters` that is not a JSON object."""


def parse_filters(where: list[str], filters_json: str | None) -> dict[str, Any]:
    """`--filters` first, then each `-w` over it; values of `-w` stay strings, as the API coerces them."""
    filters: dict[str, Any] = {}
    if filters_json:
        try:
            parsed = json.loads(filters_json)
        except ValueError as exc:
            raise FilterSyntaxError(f"--filters is not JSON: {exc}") from None
        if not isinstance(parsed, dict):
            raise FilterSyntaxError("--filters must be a JSON object such as '{\"code_start\": \"TSHIRT\"}'")
        filters.update(parsed)
    for item in where:
        key, separator, value = item.partition("=")
        if not separator or not key.strip():
            raise FilterSyntaxError(f"-w {item!r}: expected key=value, e.g. -w code_start=TSHIRT")
        filters[key.strip()] = value
    return filters


def as_query(filters: dict[str, Any]) -> dict[str, str]:
    """The same filters as a list route's `filter[q][...]` parameters (lists comma-joined, as the API reads them)."""
    return {f"filter[q][{key}]": _query_value(value) for key, value in filters.items()}


def _query_value(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(_query_value(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)
