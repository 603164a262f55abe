"""Lists held in memory (a tenant's cleanups, events, webhooks): filter, sort, page.

Rows are attribute dicts with an `id`. Filters use the same engine as records
(`chalicelib.filters`), so `filter[q]` means the same everywhere.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.exceptions import BadRequestError, FilterNotAllowedError
from chalicelib.filters import FilterValueError, UnknownFilterError, matches, parse_filters
from chalicelib.jsonapi import ListQuery

Row = Mapping[str, Any]


def _key(row: Row, field: str) -> tuple[bool, Any]:
    value = row.get(field)
    return (value is None, 0 if value is None else value)  # nulls last ascending, as PostgreSQL


def select(rows: Sequence[Row], query: ListQuery, filterable: Mapping[str, str]) -> tuple[list[Row], int]:
    """The page of `rows` that `query` asks for, and how many rows match in all."""
    try:
        conditions = parse_filters(filterable, query.filters).conditions
    except UnknownFilterError as error:
        raise FilterNotAllowedError(error.message, parameter=f"filter[q][{error.key}]") from None
    except FilterValueError as error:
        raise BadRequestError(error.message, parameter=f"filter[q][{error.key}]") from None
    kept = sorted((row for row in rows if matches(conditions, row)), key=lambda r: r["id"])
    for field, descending in reversed(query.sort):
        kept.sort(key=lambda r, f=field: _key(r, f), reverse=descending)  # type: ignore[misc]
    start = (query.page_number - 1) * query.page_size
    return kept[start:start + query.page_size], len(kept)
