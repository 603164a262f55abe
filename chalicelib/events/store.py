"""DynamoDB adapter for events and versions (PynamoDB, the cleanups table).

Each is stored twice: once in the tenant's partition (lists and retrieves) and
once in a per-cleanup partition (a cleanup's events or versions are one Query).
The per-cleanup copy is written first and the tenant item last, conditionally:
the tenant item is the commit point, so a retried write reports "already there".
"""
from __future__ import annotations

from pynamodb.attributes import JSONAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError
from pynamodb.models import Model

from chalicelib.config import get_settings
from chalicelib.dynamo import TenantItem, bind
from chalicelib.events.model import Event, Version
from chalicelib.exceptions import RecordNotFoundError
from chalicelib.tenancy import Tenant

_CONDITION_FAILED = "ConditionalCheckFailedException"


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


def failed_condition(error: Exception) -> bool:
    """A conditional write refused: the only storage error these adapters expect."""
    return getattr(error, "cause_response_code", None) == _CONDITION_FAILED


def _save_once(item: Model, copy: Model) -> bool:
    """Copy (idempotent overwrite), then the tenant item only if absent; False when it was there."""
    copy.save()
    try:
        item.save(condition=type(item).sk.does_not_exist())  # type: ignore[attr-defined]
    except PutError as error:
        if failed_condition(error):
            return False
        raise
    return True


# --- events ------------------------------------------------------------------------------------

def _event_item(event: Event, pk: str) -> EventItem:
    return _events()(pk, event.id, organization_id=event.tenant.organization_id, mode=event.tenant.mode,
                     name=event.name, resource_type=event.resource_type, resource_id=event.resource_id,
                     created_at=event.created_at, updated_at=event.updated_at, reference=event.reference,
                     reference_origin=event.reference_origin, metadata=event.metadata)


def _event(item: EventItem) -> Event:
    return Event(tenant=Tenant(item.organization_id, item.mode), id=item.sk, name=item.name,
                 resource_type=item.resource_type, resource_id=item.resource_id, created_at=item.created_at,
                 updated_at=item.updated_at, reference=item.reference, reference_origin=item.reference_origin,
                 metadata=item.metadata or {})


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
    return _versions()(pk, version.id, organization_id=version.tenant.organization_id, mode=version.tenant.mode,
                       resource_type=version.resource_type, resource_id=version.resource_id, event=version.event,
                       changes=version.changes, who=version.who, ip_address=version.ip_address,
                       user_agent=version.user_agent, uuid=version.uuid, created_at=version.created_at)


def _version(item: VersionItem) -> Version:
    return Version(tenant=Tenant(item.organization_id, item.mode), id=item.sk, resource_type=item.resource_type,
                   resource_id=item.resource_id, event=item.event, changes=item.changes or {}, who=item.who or {},
                   created_at=item.created_at, ip_address=item.ip_address, user_agent=item.user_agent,
                   uuid=item.uuid)


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
