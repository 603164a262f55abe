"""The deployment's tables, queues and bucket in moto, built once per process and restored fresh for each test.

Building them through boto3 (`devstack.provision`) costs ~0.14 s of CPU a test; restoring a copy of moto's own
objects costs a few milliseconds. `fresh()` runs inside an active `mock_aws()` that has just reset every
backend (so whatever an earlier test created, in any service, is gone) and puts back deep copies of the
tables, queues and bucket as they were right after creation: empty, with their keys, indexes, TTL, queue
attributes and redrive. moto itself restores a table from `copy.deepcopy` when a transaction fails.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from threading import Condition
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.s3.models import s3_backends
from moto.sqs.models import sqs_backends

REGION = "us-east-1"


@dataclass(frozen=True)
class _Snapshot:
    tables: dict[str, Any]
    queues: dict[str, Any]
    buckets: dict[str, Any]


_snapshot: _Snapshot | None = None


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
