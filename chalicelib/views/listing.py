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
    start = (query.page_number - 1) * query.page_size
    return sort_rows(kept, query.sort, _value)[start:start + query.page_size], len(kept)
