"""Lists held in memory (a tenant's cleanups, events, webhooks): filter, sort, page their resources.

Filters use the same engine as records (`chalicelib.filters`) and order the
same way, so `filter[q]` and `sort` mean the same on every list.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.filters import matches, parse_filters
from chalicelib.jsonapi import ListQuery, Resource
from chalicelib.records.sorting import sort_rows


def _value(resource: Resource, field: str) -> Any:
    return resource.id if field == "id" else resource.attributes.get(field)


def select(resources: Sequence[Resource], query: ListQuery,
           filterable: Mapping[str, str]) -> tuple[list[Resource], int]:
    """The page of `resources` that `query` asks for, and how many match in all."""
    conditions = parse_filters(filterable, query.filters).conditions
    kept = [r for r in resources if matches(conditions, {"id": r.id, **r.attributes})]
    return sort_rows(kept, query.sort, _value)[query.offset:query.offset + query.page_size], len(kept)


def newest_first(sort: Sequence[tuple[str, bool]]) -> bool | None:
    """Whether `sort`, a `created_at` order (ties in id order, said or not), lists the newest first; None: another
    order (what a store reads by key is the `created_at` order alone)."""
    if sort and sort[0][0] == "created_at" and list(sort[1:]) in ([], [("id", False)]):
        return sort[0][1]
    return None
