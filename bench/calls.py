"""Counts every AWS call the bench process makes, by `<service>.<Operation>`, and the items they carry.

The counters are botocore built-in handlers (`before-call`, `before-parameter-build`): every
botocore session created after `install()` (boto3's, PynamoDB's, one per client or thread)
registers them, so the app's clients, its PynamoDB models and the SQS pollers are all counted
without the app knowing. Sessions made before `install()` are not: install first, then create
clients (the bench stack drops its cached clients when it starts).

Items are read from each DynamoDB request's own parameters (actions of a TransactWriteItems,
requests of a BatchWriteItem, keys of a BatchGetItem, 1 for a single-item call), not from
ConsumedCapacity: DynamoDB Local reports 2 units for a whole transaction whatever its size.
Items read come from each response (`ScannedCount` of a Query or Scan, items a get returned).
A retried call counts once (botocore retries below these events); the app's own resends of
UnprocessedItems or a cancelled transaction are new calls and count again.
"""
from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import boto3
from botocore import handlers

_lock = threading.Lock()
_counts: Counter[str] = Counter()
_items: Counter[str] = Counter()
_read: Counter[str] = Counter()
_SINGLE_ITEM = frozenset({"GetItem", "PutItem", "UpdateItem", "DeleteItem"})


def _count(event_name: str, **_kwargs: Any) -> None:
    # event_name is "before-call.<service>.<Operation>"
    _, service, operation = event_name.split(".", 2)
    with _lock:
        _counts[f"{service}.{operation}"] += 1


def request_items(operation: str, params: dict[str, Any]) -> int:
    """Items a DynamoDB request reads or writes, from its parameters (0: not an item operation)."""
    if operation == "TransactWriteItems":
        return len(params.get("TransactItems", []))
    if operation == "BatchWriteItem":
        return sum(len(requests) for requests in params.get("RequestItems", {}).values())
    if operation == "BatchGetItem":
        return sum(len(table.get("Keys", [])) for table in params.get("RequestItems", {}).values())
    return 1 if operation in _SINGLE_ITEM else 0


def _count_items(event_name: str, params: dict[str, Any] | None = None, **_kwargs: Any) -> None:
    # event_name is "before-parameter-build.<service>.<Operation>"
    _, service, operation = event_name.split(".", 2)
    if service == "dynamodb" and params:
        with _lock:
            _items[f"{service}.{operation}"] += request_items(operation, params)


def response_items_read(operation: str, parsed: dict[str, Any]) -> int:
    """Items a DynamoDB response says were read: examined by a Query or Scan, returned by a get."""
    if operation in ("Query", "Scan"):
        return int(parsed.get("ScannedCount", 0))
    if operation == "BatchGetItem":
        return sum(len(found) for found in parsed.get("Responses", {}).values())
    if operation == "TransactGetItems":
        return sum(1 for response in parsed.get("Responses", []) if response.get("Item"))
    return 1 if operation == "GetItem" and parsed.get("Item") else 0


def _count_read(event_name: str, parsed: dict[str, Any] | None = None, **_kwargs: Any) -> None:
    # event_name is "after-call.<service>.<Operation>"
    _, service, operation = event_name.split(".", 2)
    if service == "dynamodb" and parsed:
        with _lock:
            _read[f"{service}.{operation}"] += response_items_read(operation, parsed)


_SPECS = (("before-call", _count), ("before-parameter-build", _count_items), ("after-call", _count_read))


def install() -> None:
    """Count the calls of every botocore session created from now on (idempotent)."""
    for spec in _SPECS:
        if spec not in handlers.BUILTIN_HANDLERS:
            handlers.BUILTIN_HANDLERS.append(spec)
    boto3.setup_default_session()  # boto3.client()'s shared session, made anew with the counter


def counts() -> dict[str, int]:
    """Calls made since `install()`, by `<service>.<Operation>`."""
    with _lock:
        return dict(_counts)


def items() -> dict[str, int]:
    """DynamoDB items carried by the calls made since `install()`, by `dynamodb.<Operation>`."""
    with _lock:
        return dict(_items)


def items_read() -> dict[str, int]:
    """DynamoDB items read (examined or returned) by the calls made since `install()`, by `dynamodb.<Operation>`."""
    with _lock:
        return dict(_read)


def delta(before: dict[str, int], after: dict[str, int]) -> Counter[str]:
    """The calls (or items) counted between two `counts()` (or `items()`)."""
    changed = Counter(after)
    changed.subtract(before)
    return +changed
