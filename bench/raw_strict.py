"""The strict raw baseline: a cleanup's guarantees by hand, no orchestration, at a given concurrency.

Reads: the keys of every partition a cleanup of seeded skus deletes (paginated key-only
Query, as `bench.raw`), then every item's full image by BatchGetItem, 100 keys a call (the
archive keeps full images). Each sku's group: what its `children` sets name, every
generation, and every record's unique guards. Per 100 skus (a cleanup's sub-batch): one
gzip'ed PutObject of their groups, then TransactWriteItems of whole groups up to 100
deletes, each sku's Delete conditioned as the cleanup's (`chalicelib.records.batch`).
`threads` threads share each step, as `threads` workers share a cleanup. Nothing else:
no selection, snapshot, counting, events, messages or progress. What a cleanup costs
beyond this is its orchestration.
"""
from __future__ import annotations

import gzip
import json
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.raw import RawOutcome, deleted_keys
from chalicelib import aws
from chalicelib.catalog import get_type
from chalicelib.config import get_settings
from chalicelib.records.batch import NOT_MODIFIED
from chalicelib.records.items import item_children, item_guards, parse_child_ref, partition, record_key
from chalicelib.records.transact import key_id, key_of
from chalicelib.tenancy import Tenant, iso, now

BATCH_GET_LIMIT = 100
TRANSACT_LIMIT = 100
ROOTS_PER_OBJECT = 100
ROOT_TYPE = "skus"

Images = dict[tuple[str, str], dict[str, Any]]


def _images(client: Any, table: str, keys: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """Full images of `keys` (at most 100), retrying UnprocessedKeys; (items, calls)."""
    pending: dict[str, Any] = {table: {"Keys": keys}}
    found: list[dict[str, Any]] = []
    calls = 0
    while pending:
        response = client.batch_get_item(RequestItems=pending)
        calls += 1
        found += response["Responses"].get(table, [])
        pending = response.get("UnprocessedKeys") or {}
    return found, calls


def _group(tenant: Tenant, root: dict[str, Any], images: Images) -> list[dict[str, Any]]:
    """The root, then every generation its `children` name, then each record's guards (as stored)."""
    records, frontier = [(ROOT_TYPE, root)], [(ROOT_TYPE, root)]
    while frontier:
        found = [(kind, images.get(key_id(record_key(tenant, kind, child_id))))
                 for _, item in frontier for kind, child_id in map(parse_child_ref, item_children(item))]
        frontier = [(kind, item) for kind, item in found if item is not None]
        records += frontier
    guards = [images[key_id(key)] for kind, item in records
              for key in item_guards(tenant, get_type(kind), item).values() if key_id(key) in images]
    return [item for _, item in records] + guards


def _pack(groups: Sequence[list[dict[str, Any]]]) -> list[list[list[dict[str, Any]]]]:
    """Consecutive whole groups per transaction, up to TRANSACT_LIMIT deletes (the seeded groups are small)."""
    packed: list[list[list[dict[str, Any]]]] = [[]]
    for group in groups:
        if packed[-1] and sum(map(len, packed[-1])) + len(group) > TRANSACT_LIMIT:
            packed.append([])
        packed[-1].append(group)
    return packed


def _delete_chunk(client: Any, s3: Any, tenant: Tenant, number: int, groups: list[list[dict[str, Any]]],
                  cutoff: str) -> int:
    """Archive the chunk's groups, then delete them, the roots conditionally; the calls it made."""
    body = gzip.compress(json.dumps(groups, separators=(",", ":")).encode(), mtime=0)
    s3.put_object(Bucket=get_settings().archive_bucket, Key=f"raw-strict/{tenant.key}/{number:06d}.json.gz",
                  Body=body, ContentType="application/gzip")
    table = get_settings().records_table
    condition = {"ConditionExpression": NOT_MODIFIED, "ExpressionAttributeNames": {"#pk": "pk", "#updated_at":
                 "updated_at"}, "ExpressionAttributeValues": {":cutoff": {"S": cutoff}}}
    for transaction in _pack(groups):
        roots = [{"Delete": {"TableName": table, "Key": key_of(group[0]), **condition}} for group in transaction]
        others = [{"Delete": {"TableName": table, "Key": key_of(item)}} for group in transaction
                  for item in group[1:]]
        client.transact_write_items(TransactItems=roots + others)
    return 1 + len(_pack(groups))


def raw_strict_delete(tenant: Tenant, threads: int = 1) -> RawOutcome:
    client, s3 = aws.client("dynamodb"), aws.client("s3")
    table = get_settings().records_table
    cutoff = iso(now())
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        keys, queries = deleted_keys(pool, client, table, tenant)
        chunks = [keys[start:start + BATCH_GET_LIMIT] for start in range(0, len(keys), BATCH_GET_LIMIT)]
        read = list(pool.map(lambda chunk: _images(client, table, chunk), chunks))
        images = {key_id(item): item for found, _ in read for item in found}
        roots_pk = partition(tenant, ROOT_TYPE)
        groups = [_group(tenant, item, images) for key, item in sorted(images.items()) if key[0] == roots_pk]
        per_object = [groups[start:start + ROOTS_PER_OBJECT] for start in range(0, len(groups), ROOTS_PER_OBJECT)]
        written = sum(pool.map(lambda number, chunk: _delete_chunk(client, s3, tenant, number, chunk, cutoff),
                               range(len(per_object)), per_object))
    calls = queries + sum(c for _, c in read) + written
    return RawOutcome(sum(map(len, groups)), time.monotonic() - started, calls, threads)
