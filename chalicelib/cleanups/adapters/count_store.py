"""Each tenant's cleanup counts on DynamoDB, by bucket (`chalicelib.cleanups.domain.retention`).

One item per bucket in the tenant's `counts` partition; every cleanup write that creates,
deletes or moves a cleanup between buckets ADDs to them in its own transaction, so the
counts never drift from the stored cleanups. A bucket of finished cleanups carries their
`expires_at` (and expires with them): a count skips it once that moment has passed, exactly
when the list reads stop returning its cleanups.
"""
from __future__ import annotations

import time

from pynamodb.attributes import NumberAttribute
from pynamodb.expressions.update import Action

from chalicelib.cleanups.domain.model import Cleanup
from chalicelib.cleanups.domain.retention import bucket, expires_at
from chalicelib.config import get_settings
from chalicelib.dynamo import ServiceItem, Transaction, in_cleanups_table
from chalicelib.tenancy import Tenant


class CountItem(ServiceItem):
    """How many stored cleanups sit in one bucket."""

    total = NumberAttribute(default=0)
    expires_at = NumberAttribute(null=True)


def _counts() -> type[CountItem]:
    return in_cleanups_table(CountItem)


def _partition(tenant: Tenant) -> str:
    return f"{tenant.key}#cleanup-counts"


def add(transaction: Transaction, cleanup: Cleanup, by: int) -> None:
    """ADD `by` to the bucket `cleanup` sits in (its expiry set again: an ADD may recreate an expired one)."""
    model = _counts()
    retention = get_settings().cleanup_retention_days
    expiry = expires_at(cleanup, retention)
    actions: list[Action] = [model.total.add(by)]
    if expiry is not None:
        actions.append(model.expires_at.set(expiry))
    transaction.update(model(_partition(cleanup.tenant), bucket(cleanup, retention)), actions,
                       name=f"count {'+' if by > 0 else '-'}")


def move(transaction: Transaction, before: Cleanup, after: Cleanup) -> None:
    """From `before`'s bucket to `after`'s, when they differ."""
    retention = get_settings().cleanup_retention_days
    if bucket(before, retention) != bucket(after, retention):
        add(transaction, before, -1)
        add(transaction, after, 1)


def live_total(tenant: Tenant, status: str | None = None) -> int:
    """The tenant's unexpired cleanups (of `status`): one Query of its buckets."""
    model = _counts()
    now = int(time.time())
    condition = model.sk.startswith(f"{status}#") if status is not None else None
    live = model.expires_at.does_not_exist() | (model.expires_at > now)
    return sum(int(item.total) for item in model.query(_partition(tenant), condition, live, consistent_read=True))
