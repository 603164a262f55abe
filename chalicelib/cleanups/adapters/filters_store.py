"""A cleanup's large filters, in an item of their own: the cleanup's item keeps a marker (docs/DESIGN.md#item-budget).

Filters over `INLINE_FILTERS_BYTES` would crowd a cleanup's item, which its local indexes copy twice; the
`filters` item of the cleanup's snapshot partition is in no index and holds up to 400 KB. It is written in the
create's transaction (never one without the other) and expires with its batches (a deleted cleanup's events,
kept until they expire, may still be redispatched with them).
Filters never change once created and ids are never reused, so what is read is kept (`_KEPT`, bounded):
the worker reads a cleanup at each count without reading its filters again.
"""
from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute

from chalicelib import dynamo
from chalicelib.dynamo import ServiceItem, Transaction
from chalicelib.tenancy import Tenant

SORT_KEY = "filters"
_KEPT: OrderedDict[str, dict[str, Any]] = OrderedDict()  # by partition, most recently read last
KEEP = 64  # filter sets kept in memory: 64 x 256 KB at most


class FiltersItem(ServiceItem):
    filters = JSONAttribute()  # type: ignore[var-annotated]
    expires_at = NumberAttribute(null=True)


_items = functools.partial(dynamo.in_cleanups_table, FiltersItem)


def snapshot_partition(tenant: Tenant, cleanup_id: str) -> str:
    """The partition of a cleanup's own items: its snapshot batches and its filters."""
    return f"{tenant.key}#cleanup#{cleanup_id}"


def _keep(partition: str, filters: dict[str, Any]) -> None:
    _KEPT[partition] = filters
    _KEPT.move_to_end(partition)
    while len(_KEPT) > KEEP:
        _KEPT.popitem(last=False)


def put(transaction: Transaction, tenant: Tenant, cleanup_id: str, filters: dict[str, Any], expires_at: int) -> None:
    """Into the create's transaction."""
    transaction.put(_items()(snapshot_partition(tenant, cleanup_id), SORT_KEY, filters=filters, expires_at=expires_at))


def read(wanted: Sequence[tuple[Tenant, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    """The filters of each (tenant, cleanup id), by (tenant key, id): those not kept in one BatchGetItem
    (a missing item reads as no filters: the cleanup was deleted meanwhile)."""
    partitions = {(tenant.key, cleanup_id): snapshot_partition(tenant, cleanup_id) for tenant, cleanup_id in wanted}
    missing = sorted({p for p in partitions.values() if p not in _KEPT})
    if missing:
        found = {item.pk: dict(item.filters or {})
                 for item in _items().batch_get([(p, SORT_KEY) for p in missing], consistent_read=True)}
        for partition in missing:
            if partition in found:
                _keep(partition, found[partition])
    return {key: _KEPT.get(partition, {}) for key, partition in partitions.items()}
