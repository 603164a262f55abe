"""DynamoDB adapter for events and versions (PynamoDB, the cleanups table).

Each is stored twice: once in the tenant's partition (lists and retrieves) and
once in a per-cleanup partition (a cleanup's events or versions are one Query).
The per-cleanup copy is written first and the tenant item last, conditionally:
the tenant item is the commit point, so a retried write reports "already there".
"""
from __future__ import annotations

from pynamodb.attributes import JSONAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from chalicelib.config import get_settings
from chalicelib.dynamo import TenantItem, bind, to_domain, to_item, written
from chalicelib.events import webhook_store
from chalicelib.events.model import Event, Version, Webhook
from chalicelib.exceptions import RecordNotFoundError
from chalicelib.tenancy import Tenant


class EventItem(TenantItem):
    name = UnicodeAttribute()
    resource_type = UnicodeAttribute()
    resource_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    reference = UnicodeAttribute(null=True)
    reference_origin = UnicodeAttribute(null=True)
    metadata = JSONAttribute(null=True)


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


def _events() -> type[EventItem]:
    return bind(EventItem, get_settings().cleanups_table)


def _versions() -> type[VersionItem]:
    return bind(VersionItem, get_settings().cleanups_table)


def events_partition(tenant: Tenant) -> str:
    return f"{tenant.key}#events"


def cleanup_events_partition(tenant: Tenant, cleanup_id: str) -> str:
    return f"{tenant.key}#cleanup-events#{cleanup_id}"


def versions_partition(tenant: Tenant) -> str:
    return f"{tenant.key}#versions"


def cleanup_versions_partition(tenant: Tenant, cleanup_id: str) -> str:
    return f"{tenant.key}#cleanup-versions#{cleanup_id}"


def _save_once(item: Model, copy: Model) -> bool:
    """Copy (idempotent overwrite), then the tenant item only if absent; False when it was there."""
    copy.save()
    return written(lambda: item.save(condition=type(item).sk.does_not_exist()))  # type: ignore[attr-defined]


# --- events ------------------------------------------------------------------------------------

def _event_item(event: Event, pk: str) -> EventItem:
    return to_item(_events(), event, pk=pk, sk=event.id)


def _event(item: EventItem) -> Event:
    return to_domain(Event, item, id=item.sk)


def put_event(event: Event) -> bool:
    """Store an event once; False if an event with its id was already stored (a retried fire)."""
    return _save_once(_event_item(event, events_partition(event.tenant)),
                      _event_item(event, cleanup_events_partition(event.tenant, event.resource_id)))


def get_event(tenant: Tenant, event_id: str) -> Event:
    try:
        return _event(_events().get(events_partition(tenant), event_id, consistent_read=True))
    except DoesNotExist:
        raise RecordNotFoundError(f"No event {event_id}") from None


def list_events(tenant: Tenant) -> list[Event]:
    return [_event(item) for item in _events().query(events_partition(tenant), consistent_read=True)]


def events_of(tenant: Tenant, cleanup_id: str) -> list[Event]:
    return [_event(item) for item in _events().query(cleanup_events_partition(tenant, cleanup_id),
                                                     consistent_read=True)]


# --- versions ----------------------------------------------------------------------------------

def _version_item(version: Version, pk: str) -> VersionItem:
    return to_item(_versions(), version, pk=pk, sk=version.id)


def _version(item: VersionItem) -> Version:
    return to_domain(Version, item, id=item.sk)


def put_version(version: Version) -> bool:
    """Store a version once; False if a version with its id was already stored."""
    return _save_once(_version_item(version, versions_partition(version.tenant)),
                      _version_item(version, cleanup_versions_partition(version.tenant, version.resource_id)))


def get_version(tenant: Tenant, version_id: str) -> Version:
    try:
        return _version(_versions().get(versions_partition(tenant), version_id, consistent_read=True))
    except DoesNotExist:
        raise RecordNotFoundError(f"No version {version_id}") from None


def list_versions(tenant: Tenant) -> list[Version]:
    return [_version(item) for item in _versions().query(versions_partition(tenant), consistent_read=True)]


def versions_of(tenant: Tenant, cleanup_id: str) -> list[Version]:
    return [_version(item) for item in _versions().query(cleanup_versions_partition(tenant, cleanup_id),
                                                         consistent_read=True)]


class DynamoEventLog:
    """Implements the recorder's `EventLog` on the stores above and the webhook store."""

    def put_event(self, event: Event) -> bool:
        return put_event(event)

    def put_version(self, version: Version) -> bool:
        return put_version(version)

    def webhooks(self, tenant: Tenant) -> list[Webhook]:
        return webhook_store.list_webhooks(tenant)
