"""Row `capacity_model`: what one cleanup, one tenant and the whole service can carry on AWS (docs/CAPACITY.md).

Inputs, none of them a result typed in:
- what deleting a record costs, from `bench.cost`'s definitions (its API limits and `min_calls`)
  times CALLS_VS_MIN, the measured calls over that minimum (`cleanup_cost`'s `calls_vs_min`);
- item sizes, measured here: a few seeded skus (`tools.seed`, the bench's shape) and a cleanup
  written on moto in this process, each stored item sized as DynamoDB bills it;
- the settings' defaults (messages of BATCH_SIZE records) and the template's MaximumConcurrency;
- AWS's published limits (below) and one assumption, CALL_SECONDS, the mean latency of one of
  the worker's AWS calls inside a region.

`python -m bench.capacity` prints the row (`make bench` prints it too); CAPACITY_CALLS_VS_MIN,
CAPACITY_CALL_MS and CAPACITY_SEED_SKUS override the inputs.
"""
from __future__ import annotations

import json
import math
import os
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import boto3
from moto import mock_aws

from bench import cost
from bench.data import DELETED_TYPES, GUARD_KIND
from chalicelib.config import default_settings
from chalicelib.records.items import is_guard_key
from chalicelib.tenancy import Tenant
from devstack.provision import create_resources, default_table_names, load_template
from tools.seed import seed

# AWS's published limits (DynamoDB, Lambda, SQS, API Gateway service quotas pages).
PARTITION_WCU = 1000  # write units per second one partition takes
PARTITION_RCU = 3000  # read units per second one partition takes
TABLE_WCU = 40_000  # on-demand table default (an adjustable quota)
TRANSACT_BYTES = 4 * 1024 * 1024  # one TransactWriteItems
LAMBDA_CONCURRENCY = 1000  # account default per region; an event source's MaximumConcurrency is 2..1000
SQS_FIFO_MESSAGES = 3000  # per second with batching (high-throughput mode is far higher); standard: unbounded
API_TIMEOUT_SECONDS = 29
API_RPS = 10_000
# Assumption: mean latency of one worker call (BatchGetItem, TransactWriteItems of ~100 items, S3 PUT).
CALL_SECONDS = float(os.environ.get("CAPACITY_CALL_MS") or 25) / 1000
# Measured: the cleanup's calls over `cost.min_calls` (docs/PERFORMANCE.md, row `cleanup_cost`).
CALLS_VS_MIN = float(os.environ.get("CAPACITY_CALLS_VS_MIN") or 1.25)
TENANTS = 1000
BIG_CLEANUP = 1_000_000


def attribute_bytes(value: dict[str, Any]) -> int:
    """DynamoDB's size of one AttributeValue (numbers: 1 byte per 2 digits, plus 1)."""
    (kind, inner), = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return len(str(Decimal(inner)).lstrip("-").replace(".", "")) // 2 + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS"):
        return sum(attribute_bytes({kind[0]: v}) for v in inner)
    if kind == "L":
        return 3 + sum(1 + attribute_bytes(v) for v in inner)
    if kind == "M":
        return 3 + sum(len(k.encode()) + 1 + attribute_bytes(v) for k, v in inner.items())
    return len(inner)  # B


def item_bytes(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + attribute_bytes(value) for name, value in item.items())


def _kind(item: dict[str, Any]) -> str:
    if is_guard_key(item):
        return GUARD_KIND
    return next((t for t in DELETED_TYPES if item["pk"]["S"].endswith(f"#{t}")), "")


def _index_keys() -> list[set[str]]:
    """The key attributes of each of the records table's GSIs: an item carrying them all is in it (a write there)."""
    table = load_template()["Resources"]["RecordsTable"]["Properties"]
    return [{k["AttributeName"] for k in index["KeySchema"]} for index in table.get("GlobalSecondaryIndexes", [])]


def measured_items(skus: int) -> tuple[dict[str, float], float]:
    """Mean item size in bytes by kind deleted per record (record types and the guard), and index
    entries per record: seeded on moto here."""
    os.environ.update({"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"})
    with mock_aws():
        create_resources(boto3.client("dynamodb"), boto3.client("sqs"), default_table_names())
        seed(Tenant("capacity", "test"), skus=skus, skus_per_list=skus, workers=1)
        totals: Counter[str] = Counter()
        counts: Counter[str] = Counter()
        index_entries, keys = 0, _index_keys()
        scan = boto3.client("dynamodb").get_paginator("scan")
        for page in scan.paginate(TableName=default_settings().records_table):
            for item in page["Items"]:
                kind = _kind(item)
                totals[kind] += item_bytes(item)
                counts[kind] += 1
                index_entries += sum(1 for key in keys if key <= item.keys()) if kind else 0
    return ({kind: totals[kind] / counts[kind] for kind in (*DELETED_TYPES, GUARD_KIND) if counts[kind]},
            index_entries / counts["skus"])


@dataclass(frozen=True)
class Model:
    sizes: dict[str, float]  # bytes per item, by kind deleted per record (one of each)
    index_entries: float  # GSI entries removed per record, one write unit each

    @property
    def items_per_record(self) -> int:
        return len(self.sizes)

    def units(self, kind: str) -> int:
        """Write units to delete one item transactionally: 2 per started KB."""
        return 2 * math.ceil(self.sizes[kind] / 1024)

    @property
    def wcu_per_record(self) -> float:
        return sum(self.units(kind) for kind in self.sizes) + self.index_entries

    @property
    def calls_per_record(self) -> float:
        per_sub_batch = default_settings().sub_batch_size
        items = self.items_per_record * per_sub_batch
        return cost.min_calls(items, items, 1) / per_sub_batch * CALLS_VS_MIN

    @property
    def worker_records_per_second(self) -> float:
        return 1 / (self.calls_per_record * CALL_SECONDS)

    @property
    def tenant_records_per_second(self) -> float:
        """A tenant's records of one type share a partition: the hottest kind binds."""
        return PARTITION_WCU / max(self.units(kind) for kind in self.sizes)

    def figures(self, max_concurrency: int) -> dict[str, Any]:
        settings = default_settings()
        worker = self.worker_records_per_second
        tenant = self.tenant_records_per_second
        cleanup_messages = math.ceil(BIG_CLEANUP / settings.batch_size)
        cleanup = min(tenant, worker * min(max_concurrency, cleanup_messages))
        service_workers = worker * max_concurrency
        table = TABLE_WCU / self.wcu_per_record
        service = min(service_workers, table)
        per_transaction = cost.TRANSACT_PER_CALL * max(self.sizes.values())
        return {
            "items_per_record": self.items_per_record, "item_bytes": {k: round(v) for k, v in self.sizes.items()},
            "wcu_per_record": round(self.wcu_per_record, 2), "calls_per_record": round(self.calls_per_record, 3),
            "worker_records_per_second": round(worker), "tenant_records_per_second": round(tenant),
            "workers_to_saturate_a_tenant": math.ceil(tenant / worker),
            "max_concurrency": max_concurrency, "cleanup_records_per_second": round(cleanup),
            "million_sku_cleanup_minutes": round(BIG_CLEANUP / cleanup / 60, 1),
            "service_records_per_second": round(service),
            "service_bound": "event source concurrency" if service_workers < table else "table write quota",
            "per_tenant_of_1000_records_per_second": round(service / TENANTS, 2),
            "concurrency_for_table_quota": min(LAMBDA_CONCURRENCY, math.ceil(table / worker)),
            "shards_for_a_tenant_at_max_concurrency": math.ceil(service_workers / tenant),
            "thousand_tenants_10k_cleanup_minutes": round(10_000 / (service / TENANTS) / 60),
            "transaction_bytes_of_100_items": round(per_transaction),
            "transaction_bytes_limit": TRANSACT_BYTES,
            "sqs_messages_per_second": round(service / settings.batch_size, 1),
            "sqs_fifo_limit": SQS_FIFO_MESSAGES, "api_rps_limit": API_RPS,
            "api_timeout_seconds": API_TIMEOUT_SECONDS, "partition_rcu": PARTITION_RCU,
        }


def template_max_concurrency() -> int:
    function = load_template()["Resources"]["OnWorkMessage"]["Properties"]
    return int(function["Events"]["OnWorkMessageSqsEventSource"]["Properties"]["ScalingConfig"]["MaximumConcurrency"])


def row(skus: int | None = None) -> dict[str, Any]:
    sizes, index_entries = measured_items(skus or int(os.environ.get("CAPACITY_SEED_SKUS") or 50))
    return {"name": "capacity_model", **Model(sizes, index_entries).figures(template_max_concurrency()),
            "calls_vs_min": CALLS_VS_MIN, "call_ms": CALL_SECONDS * 1000}


if __name__ == "__main__":
    print(json.dumps(row()))
