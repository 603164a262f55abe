"""Bench data: seeded skus (with `tools.seed`) and exact item counts read back.

Seeding is CPU-bound in Python, so large loads run in a few spawned processes, one
seed tag per chunk of skus. What a cleanup of seeded skus deletes per sku: the sku,
its `code` guard, its price and the price's volume tier, its stock item and its sku
list item (the seeder always writes the last two kinds; they are counted).
"""
from __future__ import annotations

import multiprocessing
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from chalicelib import aws
from chalicelib.config import get_settings
from chalicelib.records.items import guard_key, partition
from chalicelib.tenancy import Tenant
from chalicelib.text import fold
from tools.seed import SeedSummary, seed

# What deleting seeded skus removes: record types, plus the skus' `code` guards.
DELETED_TYPES = ("skus", "prices", "price_volume_tiers", "stock_items", "sku_list_items")
GUARD_KIND = "skus guards on code"
# The deleted records that name other deleted items: a sku its guard and children, a price its tier.
NAMING_TYPES = ("skus", "prices")


@dataclass(frozen=True)
class SeededSet:
    tenant: Tenant
    tags: tuple[str, ...]
    counts: Counter[str]
    sku_lists: tuple[str, ...]
    seconds: float  # summed over the chunks, which ran in parallel

    @property
    def items_per_cleanup(self) -> int:
        """Items a cleanup of every seeded sku deletes (parents stay)."""
        return sum(self.counts[kind] for kind in (*DELETED_TYPES, GUARD_KIND))


def _seed_chunk(org: str, mode: str, skus: int) -> SeedSummary:
    return seed(Tenant(org, mode), skus=skus, skus_per_list=1000, workers=4)


def seed_sets(wanted: Sequence[tuple[Tenant, int]], *, chunk: int = 10_000, processes: int = 3) -> list[SeededSet]:
    """One SeededSet per (tenant, skus), loaded in chunks of `chunk` skus (one seed tag each)."""
    jobs = [(index, tenant, min(chunk, skus - start))
            for index, (tenant, skus) in enumerate(wanted) for start in range(0, skus, chunk)]
    # spawn: a forked child would inherit this process's threads and pooled connections.
    with ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("spawn")) as pool:
        summaries = list(pool.map(_seed_chunk, [t.organization_id for _, t, _ in jobs], [t.mode for _, t, _ in jobs],
                                  [size for _, _, size in jobs]))
    sets = []
    for index, (tenant, _) in enumerate(wanted):
        mine = [summary for (owner, _, _), summary in zip(jobs, summaries, strict=True) if owner == index]
        counts: Counter[str] = Counter()
        for summary in mine:
            counts.update(summary.counts)
        sets.append(SeededSet(tenant, tuple(s.tag for s in mine), counts,
                              tuple(i for s in mine for i in s.sku_lists), sum(s.seconds for s in mine)))
    return sets


def deleted_partitions(tenant: Tenant) -> list[str]:
    """The partitions holding what a cleanup of seeded skus deletes."""
    guards = guard_key(tenant, "skus", "code", "x")["pk"]["S"]
    return [*(partition(tenant, type_name) for type_name in DELETED_TYPES), guards]


def count_partition(pk: str) -> int:
    """Items in one partition, by paginated COUNT queries."""
    return count_query({"TableName": get_settings().records_table, "KeyConditionExpression": "pk = :pk",
                        "ExpressionAttributeValues": {":pk": {"S": pk}}, "Select": "COUNT"})


def count_deletable(tenant: Tenant) -> int:
    return sum(count_partition(pk) for pk in deleted_partitions(tenant))


def count_code_prefix(tenant: Tenant, prefix: str) -> int:
    """Skus whose code starts with `prefix` (the seeder codes them `SEED-<tag>-<n>`), on the code index."""
    return count_query({"TableName": get_settings().records_table, "IndexName": "code",
                        "KeyConditionExpression": "pk = :pk AND begins_with(code_ci, :prefix)", "Select": "COUNT",
                        "ExpressionAttributeValues": {":pk": {"S": partition(tenant, "skus")},
                                                      ":prefix": {"S": fold(prefix)}}})


def count_query(request: dict[str, Any], client: Any = None) -> int:
    """A COUNT Query's total over every page (loop on LastEvaluatedKey, never on page sizes), on `client`
    (the configured DynamoDB client by default)."""
    client = client or aws.client("dynamodb")
    total = 0
    while True:
        page = client.query(**request)
        total += page["Count"]
        if "LastEvaluatedKey" not in page:
            return total
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
