"""Lists held in memory (a tenant's cleanups, events, webhooks): filter, sort, page.

Rows are attribute dicts with an `id`. Filters use the same engine as records
(`chalicelib.filters`) and order the same way, so `filter[q]` and `sort` mean
the same everywhere.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.filters import matches, parse_filters
from chalicelib.jsonapi import ListQuery
from chalicelib.records.sorting import sort_rows

Row = Mapping[str, Any]


def select(rows: Sequence[Row], query: ListQuery, filterable: Mapping[str, str]) -> tuple[list[Row], int]:
    """The page of `rows` that `query` asks for, and how many rows match in all."""
    conditions = parse_filters(filterable, query.filters).conditions
    kept = sort_rows([row for row in rows if matches(conditions, row)], query.sort, lambda row, field: row.get(field))
    start = (query.page_number - 1) * query.page_size
    return kept[start:start + query.page_size], len(kept)
