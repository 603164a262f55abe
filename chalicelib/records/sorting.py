"""Ordering of list results: `sort=-created_at,id` over stored items, ties by id.

Pure. NULLs sort last ascending and first descending, as PostgreSQL orders them.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib.records.items import Item, from_attribute_value


def _value(item: Item, field: str) -> Any:
    if field == "id":
        return item["sk"]["S"]
    av = item.get(field)
    return None if av is None else from_attribute_value(av)


def _sort_key(item: Item, field: str) -> tuple[bool, Any]:
    # (is null, value): a null never compares its placeholder with a real value.
    value = _value(item, field)
    return (value is None, 0 if value is None else value)


def sort_items(items: Sequence[Item], sort: Sequence[tuple[str, bool]]) -> list[Item]:
    """`items` ordered by `sort` ((field, descending) pairs, most significant first)."""
    ordered = sorted(items, key=lambda i: i["sk"]["S"])
    for field, descending in reversed(sort):
        ordered.sort(key=lambda i, f=field: _sort_key(i, f), reverse=descending)  # type: ignore[misc]
    return ordered
