"""Row `backend_costs`: DynamoDB Local's own CPU per operation kind, and what it implies for a cleanup.

On a table of its own (items of about 250 bytes), the emulator process's CPU time (user +
system, read from /proc before and after) over: BatchWriteItem deletes (25 a call), TransactWriteItems
of 100 plain deletes and of 100 deletes conditioned as a cleanup's roots, BatchGetItem
(100 keys), a paginated Query, per 1,000 items; and single UpdateItem and GetItem calls, per
call. Each kind runs once unmeasured on as many items first: the emulator's JIT compiles a
path on first use, and cold, a conditional transactional delete cost twice its warm cost.
Then, for the seeded shape (a sku with 5 associated items): the backend work per record
of the raw baseline (6 keys read by Query, 6 BatchWriteItem deletes) and of the least a strict
cleanup does (its selection reads the root by Query, BatchGetItem reads the 6 full images, one
transaction deletes the root conditionally and 5 plainly), and their ratio. What a cleanup
measures beyond that ratio (`cleanup_throughput`) is its orchestration's calls.
"""
from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Callable
from typing import Any

from bench.stack import BenchStack, progress, run_alone
from chalicelib import aws
from chalicelib.records.batch import NOT_MODIFIED

ITEMS = 2_000  # per measured kind
SINGLE_CALLS = 300
ASSOCIATED = 5  # per seeded sku


def process_cpu(pid: int) -> float:
    """User + system seconds of process `pid`; its /proc stat sums every thread, exited ones too."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _table(client: Any) -> str:
    name = f"bench-backend-costs-{uuid.uuid4().hex[:8]}"
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                   {"AttributeName": "sk", "KeyType": "RANGE"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                              {"AttributeName": "sk", "AttributeType": "S"}])
    return name


def _keys(part: str, count: int = ITEMS) -> list[dict[str, Any]]:
    return [{"pk": {"S": part}, "sk": {"S": f"{i:08d}"}} for i in range(count)]


def _seed(client: Any, table: str, part: str, count: int = ITEMS) -> list[dict[str, Any]]:
    keys = _keys(part, count)
    for start in range(0, len(keys), 25):
        items = [{**key, "updated_at": {"S": "2026-01-01T00:00:00.000Z"}, "name": {"S": "x" * 200},
                  "code": {"S": key["sk"]["S"]}} for key in keys[start:start + 25]]
        client.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": item}} for item in items]})
    return keys


def _chunks(keys: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    return [keys[start:start + size] for start in range(0, len(keys), size)]


def run(stack: BenchStack) -> dict[str, Any]:
    pid = stack.child_pid("DynamoDB Local")
    client = aws.client("dynamodb")
    table = _table(client)
    condition = {"ConditionExpression": NOT_MODIFIED, "ExpressionAttributeNames": {"#pk": "pk", "#updated_at":
                 "updated_at"}, "ExpressionAttributeValues": {":cutoff": {"S": "2026-06-01T00:00:00.000Z"}}}

    def measured(work: Callable[[], object]) -> float:
        before = process_cpu(pid)
        work()
        return process_cpu(pid) - before

    def transact(keys: list[dict[str, Any]], extra: dict[str, Any]) -> None:
        for chunk in _chunks(keys, 100):
            client.transact_write_items(TransactItems=[{"Delete": {"TableName": table, "Key": k, **extra}}
                                                       for k in chunk])

    def query(part: str) -> None:
        request: dict[str, Any] = {"TableName": table, "KeyConditionExpression": "pk = :pk",
                                   "ExpressionAttributeValues": {":pk": {"S": part}}}
        while True:
            page = client.query(**request)
            if "LastEvaluatedKey" not in page:
                return
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    kinds: dict[str, Callable[[list[dict[str, Any]]], object]] = {
        "query": lambda keys: query(keys[0]["pk"]["S"]),
        "batch_get": lambda keys: [client.batch_get_item(RequestItems={table: {"Keys": c}})
                                   for c in _chunks(keys, 100)],
        "batch_write_delete": lambda keys: [client.batch_write_item(
            RequestItems={table: [{"DeleteRequest": {"Key": k}} for k in c]}) for c in _chunks(keys, 25)],
        "transact_delete": lambda keys: transact(keys, {}),
        "transact_delete_root_conditional": lambda keys: transact(keys, condition),
    }
    progress(f"backend_costs: {ITEMS} items per kind on table {table}, after as many to warm each kind up")
    singles: dict[str, Callable[[list[dict[str, Any]]], object]] = {
        "update_item": lambda keys: [client.update_item(TableName=table, Key=k, UpdateExpression="ADD n :one",
                                                        ExpressionAttributeValues={":one": {"N": "1"}}) for k in keys],
        "get_item": lambda keys: [client.get_item(TableName=table, Key=k) for k in keys],
    }

    def warm_then_measured(name: str, work: Callable[[list[dict[str, Any]]], object], count: int) -> float:
        work(_seed(client, table, f"warm-up-{name}", count))  # the emulator's JIT compiles the kind's path first
        return measured(functools.partial(work, _seed(client, table, name, count)))

    per_1k = {name: round(warm_then_measured(name, work, ITEMS) * 1000 / ITEMS, 3) for name, work in kinds.items()}
    per_call_ms = {name: round(warm_then_measured(name, work, SINGLE_CALLS) * 1000 / SINGLE_CALLS, 2)
                   for name, work in singles.items()}
    client.delete_table(TableName=table)
    items = 1 + ASSOCIATED
    raw = items * (per_1k["query"] + per_1k["batch_write_delete"])
    strict = (per_1k["query"] + items * per_1k["batch_get"] + ASSOCIATED * per_1k["transact_delete"]
              + per_1k["transact_delete_root_conditional"])
    return {"name": "backend_costs", "items_per_kind": ITEMS, "cpu_s_per_1k_items": per_1k,
            "cpu_ms_per_call": per_call_ms, "raw_cpu_s_per_1k_records": round(raw, 2),
            "strict_cleanup_cpu_s_per_1k_records": round(strict, 2),
            "strict_vs_raw_backend_work": round(strict / raw, 2), "backend": "dynamodb-local"}


def main() -> int:
    """`python -m bench.backend_costs`: the row alone, on a DynamoDB Local stack of its own."""
    return run_alone(run, workers=1)


if __name__ == "__main__":
    raise SystemExit(main())
