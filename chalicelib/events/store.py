"""DynamoDB adapter for events and versions (PynamoDB, the cleanups table), and the events' outbox.

Each is stored twice: once in the tenant's partition (lists and retrieves) and
once in a per-cleanup partition (a cleanup's events or versions are one Query).
Both copies are written by `add_recorded`, inside the transaction of the cleanup
write they report (`chalicelib.cleanups.store`): none exists without its write.

The outbox: an event's tenant item is written with `active = "outbox"` and the
cleanup's attributes in `outbox`, so the `active` index (keyed `active` +
`updated_at`, shared with the active cleanups under `"1"`) lists the events not yet
dispatched, oldest first; dispatch removes both attributes.
"""
from __future__ import annotations

import functools
from typing import Any

from pynamodb.attributes import JSONAttribute, UnicodeAttribute

from chalicelib.dynamo import (
    ActiveIndex,
    ResourceItem,
    TenantItem,
    Transaction,
    get_item,
    in_cleanups_table,
    partition_items,
    to_domain,
    to_item,
    written,
)
from chalicelib.events import webhook_store
from chalicelib.events.model import Event, Outgoing, Recorded, Version, Webhook
from chalicelib.tenancy import Tenant

OUTBOX = "outbox"  # the `active` index's key for undispatched events


class EventItem(ResourceItem):
    name = UnicodeAttribute()
    resource_type = UnicodeAttribute()
    resource_id = UnicodeAttribute()
    active = UnicodeAttribute(null=True)  # OUTBOX until dispatched (tenant copy only)
    outbox = JSONAttribute(null=True)  # the cleanup's attributes the deliveries carry, until dispatched
    outbox_index = ActiveIndex()  # under OUTBOX: the events not yet dispatched, oldest first


class VersionItem(TenantItem):
    resource_type = UnicodeAttribute()
    resource_id = UnicodeAttribute()
    event = UnicodeAttribute()
    changes = JSONAttribute()
    who = JSONAttribute()
    ip_address = UnicodeAttribute(null=True)
    user_agent = UnicodeAttribute(null=True)
    uuid = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()


_events = functools.partial(in_cleanups_table, EventItem)
_versions = functools.partial(in_cleanups_table, VersionItem)


def events_partition(tenant: Tenant) -> str:
    return f"{tenant.key}#events"


def cleanup_events_partition(tenant: Tenant, cleanup_id: str) -> str:
    return f"{tenant.key}#cleanup-events#{cleanup_id}"


def versions_partition(tenant: Tenant) -> str:
    return f"{tenant.key}#versions"


def cleanup_versions_partition(tenant: Tenant, cleanup_id: str) -> str:
    return f"{tenant.key}#cleanup-versions#{cleanup_id}"


# --- events ------------------------------------------------------------------------------------

def _event_item(event: Event, pk: str, **outbox: Any) -> EventItem:
    return to_item(_events(), event, pk=pk, sk=event.id, **outbox)


def _event(item: EventItem) -> Event:
    return to_domain(Event, item, id=item.sk)


def undispatched(before: str) -> list[Outgoing]:
    """Events of every tenant in the outbox since before `before` (ISO), oldest first."""
    model = _events()
    return [Outgoing(_event(item), dict(item.outbox or {}))
            for item in model.outbox_index.query(OUTBOX, model.updated_at < before)]


def mark_dispatched(event: Event) -> None:
    """Out of the outbox; nothing to do if it left already."""
    model = _events()
    item = model(events_partition(event.tenant), event.id)
    written(lambda: item.update(actions=[model.active.remove(), model.outbox.remove()],
                                condition=model.active.exists()))


def get_event(tenant: Tenant, event_id: str) -> Event:
    return _event(get_item(_events(), events_partition(tenant), event_id, f"No event {event_id}"))


def list_events(tenant: Tenant) -> list[Event]:
    return [_event(item) for item in partition_items(_events(), events_partition(tenant))]


def events_of(tenant: Tenant, cleanup_id: str) -> list[Event]:
    return [_event(item) for item in partition_items(_events(), cleanup_events_partition(tenant, cleanup_id))]


# --- versions ----------------------------------------------------------------------------------

def _version_item(version: Version, pk: str) -> VersionItem:
    return to_item(_versions(), version, pk=pk, sk=version.id)


def _version(item: VersionItem) -> Version:
    return to_domain(Version, item, id=item.sk)


def get_version(tenant: Tenant, version_id: str) -> Version:
    return _version(get_item(_versions(), versions_partition(tenant), version_id, f"No version {version_id}"))


def list_versions(tenant: Tenant) -> list[Version]:
    return [_version(item) for item in partition_items(_versions(), versions_partition(tenant))]


def versions_of(tenant: Tenant, cleanup_id: str) -> list[Version]:
    return [_version(item) for item in partition_items(_versions(), cleanup_versions_partition(tenant, cleanup_id))]


# --- what a cleanup write reports -----------------------------------------------------------------

def add_recorded(transaction: Transaction, recorded: Recorded) -> None:
    """Into a cleanup write's transaction: both copies of each event (the tenant's in the outbox) and version."""
    resource = recorded.cleanup.attributes()
    for event in recorded.events:
        transaction.put(_event_item(event, events_partition(event.tenant), active=OUTBOX, outbox=resource))
        transaction.put(_event_item(event, cleanup_events_partition(event.tenant, event.resource_id)))
    for version in recorded.versions:
        transaction.put(_version_item(version, versions_partition(version.tenant)))
        transaction.put(_version_item(version, cleanup_versions_partition(version.tenant, version.resource_id)))


class DynamoEventLog:
    """Implements the recorder's `EventLog` on the outbox above and the webhook store."""

    def webhooks(self, tenant: Tenant) -> list[Webhook]:
        return webhook_store.list_webhooks(tenant)

    def undispatched(self, before: str) -> list[Outgoing]:
        return undispatched(before)

    def mark_dispatched(self, event: Event) -> None:
        mark_dispatched(event)
