"""Ordering of list results: `sort=-created_at,id`, ties by id, for every list the API serves.

Pure. NULLs sort last ascending and first descending, as PostgreSQL orders them.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from chalicelib.records.items import Item, from_attribute_value

Row = TypeVar("Row")


def sort_rows(rows: Sequence[Row], sort: Sequence[tuple[str, bool]],
              value: Callable[[Row, str], Any]) -> list[Row]:
    """`rows` ordered by `sort` ((field, descending) pairs, most significant first); `value(row, field)`."""
    def key(row: Row, field: str) -> tuple[bool, Any]:
        found = value(row, field)
        return (found is None, 0 if found is None else found)  # a null never meets a real value

    ordered = sorted(rows, key=lambda row: value(row, "id"))
    for field, descending in reversed(sort):
        ordered.sort(key=lambda row, f=field: key(row, f), reverse=descending)  # type: ignore[misc]
    return ordered


def _item_value(item: Item, field: str) -> Any:
    if field == "id":
        return item["sk"]["S"]
    av = item.get(field)
    return None if av is None else from_attribute_value(av)


def sort_items(items: Sequence[Item], sort: Sequence[tuple[str, bool]]) -> list[Item]:
    """Stored items ordered by `sort`."""
    return sort_rows(items, sort, _item_value)
