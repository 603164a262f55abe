"""The raw baseline: delete a seeded set by hand, no orchestration, at a given concurrency.

Paginated Query calls read the keys (only `pk`, `sk`) of every partition holding
what the cleanup deletes (records of the five types and the skus' `code` guards),
then BatchWriteItem deletes them 25 a call, retrying UnprocessedItems. The same items a
cleanup of those skus removes, at the fewest calls. `threads` threads share both steps
(partitions to read, then 25-key chunks to delete), as `threads` workers share a cleanup.
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from bench.data import deleted_partitions
from chalicelib import aws
from chalicelib.config import get_settings
from chalicelib.tenancy import Tenant

BATCH_WRITE_LIMIT = 25


@dataclass(frozen=True)
class RawOutcome:
    items_deleted: int
    seconds: float
    calls: int
    threads: int = 1


def partition_keys(client: Any, table: str, pk: str) -> tuple[list[dict[str, Any]], int]:
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


def _delete_chunk(client: Any, table: str, keys: list[dict[str, Any]]) -> int:
    pending = [{"DeleteRequest": {"Key": key}} for key in keys]
    calls = 0
    while pending:
        response = client.batch_write_item(RequestItems={table: pending})
        calls += 1
        pending = response.get("UnprocessedItems", {}).get(table, [])
    return calls


def raw_delete(tenant: Tenant, threads: int = 1) -> RawOutcome:
    client = aws.client("dynamodb")
    table = get_settings().records_table
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        keys, queries = deleted_keys(pool, client, table, tenant)
        chunks = [keys[start:start + BATCH_WRITE_LIMIT] for start in range(0, len(keys), BATCH_WRITE_LIMIT)]
        deletes = sum(pool.map(lambda chunk: _delete_chunk(client, table, chunk), chunks))
    return RawOutcome(len(keys), time.monotonic() - started, queries + deletes, threads)


def deleted_keys(pool: ThreadPoolExecutor, client: Any, table: str,
                 tenant: Tenant) -> tuple[list[dict[str, Any]], int]:
    """The keys of everything a cleanup of the tenant's seeded skus deletes, its partitions read by `pool`;
    and the Query calls that took."""
    read = list(pool.map(lambda pk: partition_keys(client, table, pk), deleted_partitions(tenant)))
    return [key for found, _ in read for key in found], sum(calls for _, calls in read)
