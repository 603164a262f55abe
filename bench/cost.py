"""Row `cleanup_cost`: AWS calls and DynamoDB write units per 1,000 records, three ways.

The same seeded shape deleted by the cleanup with its write-ahead archive (the default),
by the cleanup with ARCHIVE_DELETES=0, and by the raw baseline (`bench.raw`), all in one run.
Calls are counted by `bench.calls`, per service. Write units (WCU, the table's own: index
writes come on top) are computed from the items each counted call carried: 2 per item of a
TransactWriteItems, 1 per item of a BatchWriteItem, 1 per PutItem/UpdateItem/DeleteItem
(a floor: an item over 1 KB takes one more per KB).

`min_calls_per_1k` is what deleting the records takes at the least, by the APIs' limits:
- archive on: read every deleted item's full image (the archive holds them all) at 100 keys a
  BatchGetItem, delete every item at 100 actions a TransactWriteItems, and one PutObject per
  sub-batch (the archive precedes the deletes of its unit of retry, a sub-batch);
- archive off: the same transactions, reading only the records that name other items to delete
  (the roots and the records that cascade further; the worker reads every item all the same);
- raw: delete every item at 25 a BatchWriteItem (its key Queries, 1 MB pages, are left out).
Orchestration (SQS, the cleanup item's updates, per-message reads, the archive's existence
check on redelivery) is not part of any minimum: `calls_per_1k` has it, so its ratio shows it.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bench import calls as aws_calls

READS_PER_CALL = 100  # BatchGetItem
TRANSACT_PER_CALL = 100  # TransactWriteItems
BATCH_WRITE_PER_CALL = 25  # BatchWriteItem
CALLS_GOAL = 1.25
_SINGLE_WRITES = ("dynamodb.PutItem", "dynamodb.UpdateItem", "dynamodb.DeleteItem")


@dataclass(frozen=True)
class Usage:
    """Calls by `<service>.<Operation>`, DynamoDB items by `dynamodb.<Operation>`."""

    calls: Mapping[str, float] = field(default_factory=dict)
    items: Mapping[str, float] = field(default_factory=dict)

    def minus(self, other: Usage, times: float = 1.0) -> Usage:
        def less(mine: Mapping[str, float], theirs: Mapping[str, float]) -> dict[str, float]:
            return {op: mine.get(op, 0) - times * theirs.get(op, 0) for op in {*mine, *theirs}}
        return Usage(less(self.calls, other.calls), less(self.items, other.items))

    def only(self, service: str) -> Usage:
        return Usage({op: n for op, n in self.calls.items() if op.startswith(f"{service}.")}, self.items)

    def service_calls(self, service: str) -> float:
        return sum(n for op, n in self.calls.items() if op.startswith(f"{service}."))

    @property
    def write_units(self) -> float:
        return (2 * self.items.get("dynamodb.TransactWriteItems", 0) + self.items.get("dynamodb.BatchWriteItem", 0)
                + sum(self.items.get(op, 0) for op in _SINGLE_WRITES))


def snapshot() -> tuple[dict[str, int], dict[str, int]]:
    return aws_calls.counts(), aws_calls.items()


def since(before: tuple[dict[str, int], dict[str, int]]) -> Usage:
    """What was counted since `snapshot()` returned `before`."""
    calls, items = snapshot()
    return Usage(dict(aws_calls.delta(before[0], calls)), dict(aws_calls.delta(before[1], items)))


def per_1k(usage: Usage, records: int, minimum: float) -> dict[str, float]:
    scale = 1000 / records
    total = sum(usage.calls.values())
    return {"calls_per_1k": round(total * scale, 1), "min_calls_per_1k": round(minimum * scale, 1),
            "calls_vs_min": round(total / minimum, 2),
            "dynamodb_calls_per_1k": round(usage.service_calls("dynamodb") * scale, 1),
            "s3_calls_per_1k": round(usage.service_calls("s3") * scale, 1),
            "sqs_calls_per_1k": round(usage.service_calls("sqs") * scale, 1),
            "wcu_per_1k": round(usage.write_units * scale, 1)}


def min_calls(items_deleted: int, items_read: int, sub_batches: int) -> float:
    """The cleanup's minimum: reads at 100 keys, transactional deletes at 100 actions, one put per sub-batch."""
    return items_read / READS_PER_CALL + items_deleted / TRANSACT_PER_CALL + sub_batches


def row(records: int, items_deleted: int, variants: Mapping[str, dict[str, float]], backend: str,
        note: str = "") -> dict[str, Any]:
    built: dict[str, Any] = {"name": "cleanup_cost", "records": records, "items_deleted": items_deleted,
                             **variants, "calls_vs_min_goal": CALLS_GOAL, "backend": backend}
    if note:
        built["note"] = note
    return built
