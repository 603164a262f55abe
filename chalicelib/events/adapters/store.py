"""DynamoDB adapter for events and versions (PynamoDB, the cleanups table), and the events' outbox.

Each is stored twice: once in the tenant's partition (lists and retrieves) and
once in a per-cleanup partition (a cleanup's events or versions are one Query).
Both copies are written by `add_recorded`, inside the transaction of the cleanup
write they report (`chalicelib.cleanups.adapters.store`): none exists without its write.

The outbox: an event's tenant item is written with `active = "outbox"` and the
cleanup's attributes in `outbox`, so the `active` index (keyed `active` +
`updated_at`, shared with the active cleanups under `"1"`) lists the events not yet
dispatched, oldest first; dispatch removes both attributes.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from chalicelib import dynamo
from chalicelib.cleanups.domain.retention import written_expiry
from chalicelib.config import get_settings
from chalicelib.dynamo import TenantItem, Transaction, to_domain, to_item, written
from chalicelib.events.adapters import webhook_store
from chalicelib.events.model import Event, Outgoing, Recorded, Version, Webhook
from chalicelib.tenancy import Tenant

D = TypeVar("D", Event, Version)
OUTBOX = "outbox"  # the `active` index's key for undispatched events


class RecordedItem(TenantItem):
    """What events and versions both store: the resource they report, when, and their TTL."""

    resource_type = UnicodeAttribute()
    resource_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    expires_at = NumberAttribute(null=True)  # DynamoDB TTL: `chalicelib.cleanups.domain.retention`


class EventItem(dynamo.ResourceItem, RecordedItem):
    name = UnicodeAttribute()
    active = UnicodeAttribute(null=True)  # OUTBOX until dispatched (tenant copy only)
    outbox = JSONAttribute(null=True)  # the cleanup's attributes the deliveries carry, until dispatched
    outbox_index = dynamo.ActiveIndex()  # under OUTBOX: the events not yet dispatched, oldest first


class VersionItem(RecordedItem):
    event = UnicodeAttribute()
    changes = JSONAttribute()
    who = JSONAttribute()
    ip_address = UnicodeAttribute(null=True)
    user_agent = UnicodeAttribute(null=True)
    uuid = UnicodeAttribute(null=True)


_events = functools.partial(dynamo.in_cleanups_table, EventItem)
_versions = functools.partial(dynamo.in_cleanups_table, VersionItem)


@dataclass(frozen=True)
class _Copies(Generic[D]):
    """Events or versions: each stored in the tenant's partition and in its cleanup's, read from either."""

    model: Callable[[], type[Any]]
    domain: type[D]
    name: str  # "events": partitions `{tenant}#events` and `{tenant}#cleanup-events#{cleanup id}`

    def tenant_partition(self, tenant: Tenant) -> str:
        return f"{tenant.key}#{self.name}"

    def cleanup_partition(self, tenant: Tenant, cleanup_id: str) -> str:
        return f"{tenant.key}#cleanup-{self.name}#{cleanup_id}"

    def items(self, value: Any, expires_at: int, **outbox: Any) -> tuple[Any, Any]:
        """Its tenant copy (with `outbox` attributes) and its cleanup copy, both expiring at `expires_at`."""
        model, tenant = self.model(), value.tenant
        return (to_item(model, value, pk=self.tenant_partition(tenant), sk=value.id, expires_at=expires_at, **outbox),
                to_item(model, value, pk=self.cleanup_partition(tenant, value.resource_id), sk=value.id,
                        expires_at=expires_at))

    def of_item(self, item: Any) -> D:
        return to_domain(self.domain, item, id=item.sk)

    def get(self, tenant: Tenant, item_id: str) -> D:
        missing = f"No {self.name.removesuffix('s')} {item_id}"
        return self.of_item(dynamo.get_item(self.model(), self.tenant_partition(tenant), item_id, missing))

    def of_tenant(self, tenant: Tenant) -> list[D]:
        return [self.of_item(item) for item in dynamo.partition_items(self.model(), self.tenant_partition(tenant))]

    def of_cleanup(self, tenant: Tenant, cleanup_id: str) -> list[D]:
        pk = self.cleanup_partition(tenant, cleanup_id)
        return [self.of_item(item) for item in dynamo.partition_items(self.model(), pk)]


_EVENTS = _Copies(_events, Event, "events")
_VERSIONS = _Copies(_versions, Version, "versions")


# --- events ------------------------------------------------------------------------------------

def undispatched(before: str) -> list[Outgoing]:
    """Events of every tenant in the outbox since before `before` (ISO), oldest first."""
    model = _events()
    return [Outgoing(_EVENTS.of_item(item), dict(item.outbox or {}))
            for item in model.outbox_index.query(OUTBOX, model.updated_at < before)]


def mark_dispatched(event: Event) -> None:
    """Out of the outbox; nothing to do if it left already."""
    model = _events()
    item = model(_EVENTS.tenant_partition(event.tenant), event.id)
    written(lambda: item.update(actions=[model.active.remove(), model.outbox.remove()],
                                condition=model.active.exists()))


get_event, list_events, events_of = _EVENTS.get, _EVENTS.of_tenant, _EVENTS.of_cleanup
get_version, list_versions, versions_of = _VERSIONS.get, _VERSIONS.of_tenant, _VERSIONS.of_cleanup


# --- what a cleanup write reports -----------------------------------------------------------------

def add_recorded(transaction: Transaction, recorded: Recorded) -> None:
    """Into a cleanup write's transaction: both copies of each event (the tenant's in the outbox) and version."""
    resource = recorded.cleanup.attributes()
    days = max(get_settings().cleanup_retention_days, recorded.cleanup.restore_window_days)
    items = [item for event in recorded.events
             for item in _EVENTS.items(event, written_expiry(event.created_at, days), active=OUTBOX, outbox=resource)]
    items += [item for version in recorded.versions
              for item in _VERSIONS.items(version, written_expiry(version.created_at, days))]
    for item in items:
        transaction.put(item)


def add_outgoing(transaction: Transaction, outgoing: Sequence[Outgoing]) -> None:
    """Into another resource's write (a schedule's run): both copies of each event, the tenant's in the outbox
    carrying the resource's attributes, kept CLEANUP_RETENTION_DAYS."""
    days = get_settings().cleanup_retention_days
    for sent in outgoing:
        expiry = written_expiry(sent.event.created_at, days)
        for item in _EVENTS.items(sent.event, expiry, active=OUTBOX, outbox=sent.resource):
            transaction.put(item)


def expire_recorded(tenant: Tenant, cleanup_id: str, expires_at: int) -> None:
    """Both copies of a finished cleanup's events and versions expire with it (those written while it ran).

    Written the same UTC day as the cleanup ends, an item already expires at that moment
    (`written_expiry`): only the others are written. The tenant copy is stamped before the
    cleanup's, so a cleanup copy that carries the expiry vouches for its tenant copy.
    """
    for copies in (_EVENTS, _VERSIONS):
        model, own = copies.model(), copies.cleanup_partition(tenant, cleanup_id)
        for item in model.query(own, attributes_to_get=["sk", "expires_at"]):
            if item.expires_at == expires_at:
                continue
            for pk in (copies.tenant_partition(tenant), own):
                # Conditional: an update never recreates a copy deleted meanwhile.
                written(functools.partial(model(pk, item.sk).update, actions=[model.expires_at.set(expires_at)],
                                          condition=model.sk.exists()))


class DynamoEventLog:
    """Implements the recorder's `EventLog` on the outbox above and the webhook store."""

    def webhooks(self, tenant: Tenant) -> list[Webhook]:
        return webhook_store.list_webhooks(tenant)

    def undispatched(self, before: str) -> list[Outgoing]:
        return undispatched(before)

    def mark_dispatched(self, event: Event) -> None:
        mark_dispatched(event)
