"""The deployment's tables, queues and bucket in moto, built once per process and restored fresh for each test.

Building them through boto3 (`devstack.provision`) costs ~0.14 s of CPU a test; restoring a copy of moto's own
objects costs a few milliseconds. `fresh()` runs inside an active `mock_aws()` that has just reset every
backend (so whatever an earlier test created, in any service, is gone) and puts back deep copies of the
tables, queues and bucket as they were right after creation: empty, with their keys, indexes, TTL, queue
attributes and redrive. moto itself restores a table from `copy.deepcopy` when a transaction fails.
`seeded()` does the same for what a fixture writes into an empty table (the dev applications, whose secrets
cost a slow hash each to store), and `kept()` for the records a fixture writes into a fresh world.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from threading import Condition
from typing import Any, TypeVar

from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.s3.models import s3_backends
from moto.sqs.models import sqs_backends

REGION = "us-east-1"
T = TypeVar("T")


@dataclass(frozen=True)
class _Snapshot:
    tables: dict[str, Any]
    queues: dict[str, Any]
    buckets: dict[str, Any]


_snapshot: _Snapshot | None = None
_seeds: dict[str, dict[Any, Any]] = {}
_kept: dict[str, tuple[Any, dict[str, dict[Any, Any]]]] = {}


def _backends() -> tuple[Any, Any, Any]:
    return (dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION], sqs_backends[DEFAULT_ACCOUNT_ID][REGION],
            s3_backends[DEFAULT_ACCOUNT_ID]["aws"])


def _copy_queues(queues: dict[str, Any]) -> dict[str, Any]:
    # A queue's Condition (long polling) cannot be copied: each copy gets a new one. One copy of all the queues,
    # as a queue may refer to its dead-letter queue.
    memo: dict[int, Any] = {id(queue._messages_lock): Condition() for queue in queues.values()}
    copied: dict[str, Any] = copy.deepcopy(queues, memo)
    return copied


def fresh(build: Callable[[], None]) -> None:
    """Make the world exist, empty, in a moto whose backends were just reset (a `mock_aws()` just entered).

    `build()` creates it through the AWS APIs the first time in a process; its names never change after."""
    global _snapshot
    dynamodb, sqs, s3 = _backends()
    if _snapshot is None:
        build()
        _snapshot = _Snapshot(copy.deepcopy(dynamodb.tables), _copy_queues(sqs.queues), copy.deepcopy(s3.buckets))
        return
    dynamodb.tables.update(copy.deepcopy(_snapshot.tables))
    sqs.queues.update(_copy_queues(_snapshot.queues))
    s3.buckets.update(copy.deepcopy(_snapshot.buckets))
    for name in _snapshot.buckets:
        s3_backends.bucket_accounts[name] = ("aws", DEFAULT_ACCOUNT_ID)


def seeded(key: str, table_name: str, seed: Callable[[], object]) -> None:
    """What `seed()` writes into `table_name`, there: copied in if the table is empty and this `key`'s seed already
    ran in this process on an empty table; otherwise `seed()` runs (and its items are kept for the next time)."""
    table = _backends()[0].tables[table_name]
    if table.items:
        seed()
        return
    if key in _seeds:
        table.items.update(copy.deepcopy(_seeds[key]))
        return
    seed()
    _seeds[key] = copy.deepcopy(dict(table.items))


def kept(key: str, build: Callable[[], T]) -> T:
    """What `build()` returns, its DynamoDB items written into the world: `build()` runs on the first fresh world
    of the process that asks for `key`; later fresh worlds get a copy of the items it wrote, and the same value.
    Where a table already holds anything (not a fresh world), `build()` simply runs."""
    tables = _backends()[0].tables
    if any(table.items for table in tables.values()):
        return build()
    if key in _kept:
        value, items = _kept[key]
        for name, table_items in items.items():
            tables[name].items.update(copy.deepcopy(table_items))
        found: T = value
        return found
    value = build()
    _kept[key] = (value, {name: copy.deepcopy(dict(table.items)) for name, table in tables.items()})
    return value
