"""The byte budget of a cleanup's item: what each attribute may take so the item never outgrows DynamoDB.

A cleanup's item sits in the table and in both local indexes (which project every attribute), and
DynamoDB refuses a write once the three copies pass 400 KB: `ITEM_BUDGET` is what one copy may take.
Callers rely on: `log_entry` keeps an errors-log entry within `MAX_LOG_ENTRY_BYTES`, so two logs at
ERRORS_LOG_CAP fit; `check_metadata` refuses (422) a cleanup's metadata over `MAX_CLEANUP_METADATA_BYTES`;
`dynamo_bytes` is DynamoDB's size of a value. The arithmetic: docs/DESIGN.md#item-budget
"""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from chalicelib.exceptions import ErrorDetail, ValidationError
from chalicelib.limits import MAX_KEY_BYTES, MAX_KEY_CHARS
from chalicelib.tenancy import ID_LENGTH

ITEM_LIMIT_BYTES = 400 * 1024  # the table copy plus every local index copy
INDEX_COPY_OVERHEAD = 100 + 1_100  # AWS adds 100 bytes and the keys (a 1,035-byte `by_reference` at most)
ITEM_BUDGET = (ITEM_LIMIT_BYTES - 2 * INDEX_COPY_OVERHEAD) // 3  # 135,733 bytes
MAX_LOG_ENTRY_BYTES = 88  # a record id and its errors: every message a sub-batch logs fits
TOO_LONG = {"base": ["error too long to log"]}  # what an entry over the bound is logged as
MAX_CLEANUP_METADATA_BYTES = 16 * 1024  # serialized: what is left beside two full logs
MAX_SUB_BATCHES = 1_000  # numbers in each of the four sub-batch sets (`started`, `counted`, the restore's)
MAX_USER_AGENT_CHARS = 512  # kept of an interrupt's User-Agent on the cleanup (its version keeps it whole)


def dynamo_bytes(value: Any) -> int:
    """DynamoDB's size of `value` as an attribute value (its name not included): UTF-8 strings, about a byte per
    two digits of a number, one byte for a boolean or null, three for a map or list plus one per element and
    each key's bytes."""
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    if isinstance(value, int | float | Decimal):
        digits = len(str(abs(value)).replace(".", "").lstrip("0")) or 1
        return (digits + 1) // 2 + 1
    if isinstance(value, dict):
        return 3 + sum(1 + dynamo_bytes(str(k)) + dynamo_bytes(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return 3 + sum(1 + dynamo_bytes(v) for v in value)
    if isinstance(value, set | frozenset):
        return sum(dynamo_bytes(v) for v in value)
    raise TypeError(f"no DynamoDB size for {type(value).__name__}")


def entry_bytes(key: str, entry: Any) -> int:
    """An errors-log entry's share of its map: its key, its value and the element byte."""
    return 1 + dynamo_bytes(key) + dynamo_bytes(entry)


def log_entry(key: str, entry: Any) -> Any:
    """`entry`, or `TOO_LONG` if it would take more than `MAX_LOG_ENTRY_BYTES` under `key`."""
    return entry if entry_bytes(key, entry) <= MAX_LOG_ENTRY_BYTES else TOO_LONG


def _reference_fits(reference: str) -> bool:
    """`by_reference` (`<length>:<reference>#<id>`) within DynamoDB's 1,024 bytes of a sort key."""
    return len(f"{len(reference)}:{reference}#".encode()) + ID_LENGTH <= MAX_KEY_BYTES


def check_sizes(attributes: dict[str, Any]) -> None:
    """A 422 with a pointer for a cleanup's metadata over `MAX_CLEANUP_METADATA_BYTES`, or a reference or
    reference_origin over `MAX_KEY_CHARS` (a reference also within a sort key's bytes)."""
    details = []
    metadata = attributes.get("metadata")
    if isinstance(metadata, dict) and len(json.dumps(metadata).encode("utf-8")) > MAX_CLEANUP_METADATA_BYTES:
        details.append(ErrorDetail(ValidationError.title,
                                   f"a cleanup's metadata is larger than {MAX_CLEANUP_METADATA_BYTES} bytes",
                                   pointer="/data/attributes/metadata"))
    for name in ("reference", "reference_origin"):
        value = attributes.get(name)
        if isinstance(value, str) and (len(value) > MAX_KEY_CHARS or not _reference_fits(value)):
            details.append(ErrorDetail(ValidationError.title, f"{name} is longer than {MAX_KEY_CHARS} characters",
                                       pointer=f"/data/attributes/{name}"))
    if details:
        raise ValidationError(details=details)


def check_sub_batches(records: int, sub_batch_size: int) -> None:
    """A 422 on `/data/attributes/max_records_per_second` when `records` need more than `MAX_SUB_BATCHES`
    sub-batches of `sub_batch_size` (a throttled cleanup's sub-batch holds one second's worth)."""
    if -(-records // sub_batch_size) > MAX_SUB_BATCHES:
        lowest = -(-records // MAX_SUB_BATCHES)
        raise ValidationError(f"max_records_per_second must be at least {lowest} for {records} records",
                              pointer="/data/attributes/max_records_per_second")
