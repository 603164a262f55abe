"""A schedule's runs on DynamoDB: one link item per cleanup a run created, and their counts.

A cleanup that names a schedule has a link in that schedule's `runs` partition, sk
`<created_at>#<cleanup id>`, carrying the cleanup's `expires_at`, and counts once in that
schedule's count bucket of the same expiry day. The cleanup's own transactions write them (its
create puts the link, a transition that stamps its expiry moves it, its delete drops it), so a
link exists exactly while the cleanup does. A page of runs reads its links in key order, then
the cleanups by key: about the page, whatever the tenant's history. Why: docs/DESIGN.md#schedules
"""
from __future__ import annotations

import time
from collections.abc import Sequence

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib.cleanups.domain.model import Cleanup
from chalicelib.cleanups.domain.retention import NEVER, expires_at
from chalicelib.dynamo import ServiceItem, Transaction, in_cleanups_table
from chalicelib.tenancy import Tenant


class RunItem(ServiceItem):
    """One run's cleanup, in its schedule's runs partition."""

    cleanup_id = UnicodeAttribute()
    expires_at = NumberAttribute(null=True)


class RunCountItem(ServiceItem):
    """How many of a schedule's runs' cleanups expire on one day (`-`: not finished, never)."""

    total = NumberAttribute(default=0)
    expires_at = NumberAttribute(null=True)


def _runs() -> type[RunItem]:
    return in_cleanups_table(RunItem)


def _counts() -> type[RunCountItem]:
    return in_cleanups_table(RunCountItem)


def _partition(tenant: Tenant, schedule_id: str) -> str:
    return f"{tenant.key}#schedule#{schedule_id}#runs"


def _counts_partition(tenant: Tenant, schedule_id: str) -> str:
    return f"{tenant.key}#schedule#{schedule_id}#run-counts"


def _count(transaction: Transaction, cleanup: Cleanup, schedule_id: str, by: int, retention: int) -> None:
    model, expiry = _counts(), expires_at(cleanup, retention)
    actions: list[Action] = [model.total.add(by)]
    if expiry is not None:
        actions.append(model.expires_at.set(expiry))
    transaction.update(model(_counts_partition(cleanup.tenant, schedule_id), NEVER if expiry is None else str(expiry)),
                       actions, name=f"run count {'+' if by > 0 else '-'}")


def add(transaction: Transaction, cleanup: Cleanup, retention: int) -> None:
    """The link and its count, for a new cleanup that names a schedule (nothing otherwise); `retention` in days."""
    if cleanup.schedule_id is None:
        return
    transaction.put(_runs()(_partition(cleanup.tenant, cleanup.schedule_id), f"{cleanup.created_at}#{cleanup.id}",
                            cleanup_id=cleanup.id, expires_at=expires_at(cleanup, retention)), name="run")
    _count(transaction, cleanup, cleanup.schedule_id, 1, retention)


def remove(transaction: Transaction, cleanup: Cleanup, retention: int) -> None:
    """Drop the link and its count, for a deleted cleanup that names a schedule."""
    if cleanup.schedule_id is None:
        return
    transaction.delete(_runs()(_partition(cleanup.tenant, cleanup.schedule_id),
                               f"{cleanup.created_at}#{cleanup.id}"), name="run")
    _count(transaction, cleanup, cleanup.schedule_id, -1, retention)


def move(transaction: Transaction, before: Cleanup, after: Cleanup, retention: int) -> None:
    """Stamp `after`'s expiry on the link and move its count, when the transition changes the expiry."""
    expiry = expires_at(after, retention)
    if after.schedule_id is None or expiry == expires_at(before, retention):
        return
    model = _runs()
    transaction.update(model(_partition(after.tenant, after.schedule_id), f"{after.created_at}#{after.id}"),
                       [model.cleanup_id.set(after.id), model.expires_at.set(expiry) if expiry is not None
                        else model.expires_at.remove()], name="run")
    _count(transaction, before, after.schedule_id, -1, retention)
    _count(transaction, after, after.schedule_id, 1, retention)


def _live(model: type[RunItem] | type[RunCountItem]) -> Condition:
    return model.expires_at.does_not_exist() | (model.expires_at > int(time.time()))


def page(tenant: Tenant, schedule_id: str, offset: int, limit: int | None, descending: bool) -> list[str]:
    """The ids of runs' cleanups `offset` to `offset + limit` (None: to the end) by `created_at`, equal ones in
    id order either way; unexpired ones only. Reads the first `offset + limit` links, then those sharing
    the last one's `created_at` when newest first (key order puts their ids backwards)."""
    model, pk = _runs(), _partition(tenant, schedule_id)
    live = _live(model)
    if limit is None:
        found = list(model.query(pk, filter_condition=live, scan_index_forward=not descending, consistent_read=True))
        return _in_order(found, descending)[offset:]
    wanted = offset + limit
    found = list(model.query(pk, filter_condition=live, scan_index_forward=not descending, consistent_read=True,
                             limit=wanted, page_size=wanted))
    if descending and len(found) == wanted:
        edge = found[-1].sk.rsplit("#", 1)[0]
        read = {item.sk for item in found}
        found += [item for item in model.query(pk, model.sk.startswith(f"{edge}#"), filter_condition=live,
                                               consistent_read=True) if item.sk not in read]
    return _in_order(found, descending)[offset:wanted]


def _in_order(links: Sequence[RunItem], descending: bool) -> list[str]:
    """By `created_at` (newest first if `descending`), equal ones in id order."""
    ordered = sorted(links, key=lambda link: link.cleanup_id)
    ordered.sort(key=lambda link: link.sk.rsplit("#", 1)[0], reverse=descending)
    return [link.cleanup_id for link in ordered]


def live_total(tenant: Tenant, schedule_id: str) -> int:
    """How many unexpired cleanups the schedule's runs created: one Query of its count buckets."""
    model = _counts()
    return sum(int(item.total) for item in model.query(_counts_partition(tenant, schedule_id),
                                                        filter_condition=_live(model), consistent_read=True))
