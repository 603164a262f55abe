"""How many bytes a stored filter set takes, and the rule on what a stored selection may hold.

Every item that stores `filters` (a cleanup, a preview, a schedule) keeps them as one JSON string
(`dynamo.Selected`): `filters_bytes` is its size as DynamoDB counts it. Filters up to
`INLINE_FILTERS_BYTES` stay on an item that sits in local indexes; larger ones go to an item of
their own, in no index, which holds up to `MAX_FILTERS_BYTES`. `check_filters_size` refuses
more with a 422 on `/data/attributes/filters`. Why: docs/DESIGN.md#item-budget
"""
from __future__ import annotations

import json
from typing import Any

from chalicelib.exceptions import ValidationError

# On an item in both local indexes (stored three times within 400 KB): a few long filters, not lists.
INLINE_FILTERS_BYTES = 4 * 1024
# An item of its own, in no index: 400 KB less its keys and expiry. More than a request body holds.
MAX_FILTERS_BYTES = 390 * 1024


def filters_bytes(filters: dict[str, Any]) -> int:
    """The UTF-8 bytes of `filters` as their JSON attribute stores them (PynamoDB's `json.dumps`)."""
    return len(json.dumps(filters).encode("utf-8"))


def stored_apart(filters: dict[str, Any]) -> bool:
    """Too large to stay on an indexed item: kept in an item of their own."""
    return filters_bytes(filters) > INLINE_FILTERS_BYTES


def check_filters_size(filters: dict[str, Any], pointer: str = "/data/attributes/filters") -> None:
    """A 422 on `pointer` for filters that no item can hold (a cleanup's or a schedule's)."""
    size = filters_bytes(filters)
    if size > MAX_FILTERS_BYTES:
        raise ValidationError(f"filters take {size} bytes, more than the {MAX_FILTERS_BYTES} a cleanup can keep",
                              pointer=pointer)
