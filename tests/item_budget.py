"""The worst-case cleanup: every attribute at the most the service lets it take (docs/DESIGN.md#item-budget).

Used by the unit, moto and DynamoDB Local tests of the item budget, with `item_bytes`: DynamoDB's size of a
stored item (its `serialize()` form), attribute names included.
"""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from chalicelib.catalog import cleanable_types
from chalicelib.cleanups.domain import budget
from chalicelib.cleanups.domain.model import INTERRUPTED, Cleanup
from chalicelib.cleanups.domain.progress import SAMPLES
from chalicelib.filters.size import INLINE_FILTERS_BYTES
from chalicelib.tenancy import Tenant

TENANT = Tenant("OrgWorst01", "test")
ERRORS_LOG_CAP = 500  # the default
MOMENT = "2026-12-07T16:00:00.123Z"
FOUR_BYTES = "\U0001f600"  # one character, four UTF-8 bytes


def _padded(make: Any, size: int) -> Any:
    """`make(n)` with `n` chosen so its JSON is exactly `size` bytes."""
    base = len(json.dumps(make(0)).encode())
    return make(size - base)


def worst_log(prefix: str) -> dict[str, Any]:
    """ERRORS_LOG_CAP entries, each exactly `MAX_LOG_ENTRY_BYTES` under a 10-character record id."""
    log = {}
    for number in range(ERRORS_LOG_CAP):
        key = f"{prefix}{number:09d}"
        overhead = budget.entry_bytes(key, {"base": [""]})
        log[key] = {"base": ["m" * (budget.MAX_LOG_ENTRY_BYTES - overhead)]}
    return log


def worst_case_cleanup() -> Cleanup:
    reference = FOUR_BYTES * 252  # 1,008 bytes: `by_reference` is then 1,023
    numbers = frozenset(range(budget.MAX_SUB_BATCHES))
    return Cleanup(
        tenant=TENANT, id="Zz9Zz9Zz9Z", resource_type=max(cleanable_types(), key=len),
        filters=_padded(lambda n: {"reference_start": "f" * n}, INLINE_FILTERS_BYTES),
        metadata=_padded(lambda n: {"note": "x" * n}, budget.MAX_CLEANUP_METADATA_BYTES),
        created_at=MOMENT, updated_at=MOMENT, status=INTERRUPTED, records_count=99_999,
        processed_count=99_999, errors_count=99_999, errors_log=worst_log("a"), batch_size=99_999,
        sub_batch_size=99_999, batch_count=99_999, sub_batch_count=budget.MAX_SUB_BATCHES, started=numbers,
        counted=numbers, started_at=MOMENT, completed_at=MOMENT, interrupted_at=MOMENT, reference=reference,
        reference_origin=reference, restore_window_days=99_999, restore_status="in_progress",
        restored_count=99_999, restore_errors_count=99_999, restore_errors_log=worst_log("b"),
        restore_started=numbers, restore_counted=numbers, max_records_per_second=10 ** 37,
        paced_until=9_999_999_999.999, counted_records=99_999,
        progress_samples={str(n): [9_999_999_999.999, 99_999] for n in range(SAMPLES)},
        interrupt_request={"who": {"application": {"id": "x" * 10, "client_id": "c" * 43, "kind": "integration"}},
                           "ip_address": "f" * 39, "user_agent": "u" * budget.MAX_USER_AGENT_CHARS,
                           "request_id": "r" * 36, "at": MOMENT},
        retry_of="Yy9Yy9Yy9Y", selecting=True, selection_cursor="Xx9Xx9Xx9X", selection_pages=99_999,
        expected_records_count=99_999,
    )


def _value_bytes(value: dict[str, Any]) -> int:
    """DynamoDB's size of one attribute value in its wire form (`{"S": ...}`, `{"M": {...}}`, ...)."""
    (kind, inner), = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return budget.dynamo_bytes(Decimal(inner))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "NS":
        return sum(budget.dynamo_bytes(Decimal(n)) for n in inner)
    if kind == "SS":
        return sum(len(s.encode()) for s in inner)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + _value_bytes(v) for k, v in inner.items())
    if kind == "L":
        return 3 + sum(1 + _value_bytes(v) for v in inner)
    raise TypeError(kind)


def item_bytes(serialized: dict[str, Any]) -> int:
    """DynamoDB's size of an item: each attribute's name and value."""
    return sum(len(name.encode()) + _value_bytes(value) for name, value in serialized.items())
