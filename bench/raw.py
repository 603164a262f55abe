"""The raw baseline: delete a seeded set by hand, no orchestration.

Paginated Query calls read the keys (only `pk`, `sk`) of every partition holding
what the cleanup deletes (records of the five types and the skus' `code` guards),
then BatchWriteItem deletes them 25 a call, one call after the other, retrying
UnprocessedItems. The same items a cleanup of those skus removes, at the fewest calls.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from bench.data import deleted_partitions
from chalicelib import aws
from chalicelib.config import get_settings
from chalicelib.tenancy import Tenant


@dataclass(frozen=True)
class RawOutcome:
    items_deleted: int
    seconds: float
    calls: int


def _keys(client: Any, table: str, pk: str) -> tuple[list[dict[str, Any]], int]:
    request: dict[str, Any] = {"TableName": table, "KeyConditionExpression": "pk = :pk",
                               "ExpressionAttributeValues": {":pk": {"S": pk}}, "ProjectionExpression": "pk, sk"}
    keys: list[dict[str, Any]] = []
    calls = 0
    while True:
        page = client.query(**request)
        calls += 1
        keys.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return keys, calls
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def raw_delete(tenant: Tenant) -> RawOutcome:
    client = aws.client("dynamodb")
    table = get_settings().records_table
    started = time.monotonic()
    keys: list[dict[str, Any]] = []
    calls = 0
    for pk in deleted_partitions(tenant):
        found, made = _keys(client, table, pk)
        keys.extend(found)
        calls += made
    for start in range(0, len(keys), 25):
        pending = [{"DeleteRequest": {"Key": key}} for key in keys[start:start + 25]]
        while pending:
            response = client.batch_write_item(RequestItems={table: pending})
            calls += 1
            pending = response.get("UnprocessedItems", {}).get(table, [])
    return RawOutcome(len(keys), time.monotonic() - started, calls)
