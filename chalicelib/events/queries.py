"""The read side of events, versions and callbacks, which the routes call: every query is scoped to one tenant.

Another tenant's id is never found (every key starts with the tenant), so it
answers `RecordNotFoundError` like an id that does not exist.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from chalicelib.cleanups import Cleanup
from chalicelib.events.adapters import store, webhook_store
from chalicelib.events.model import Event, EventCallback, Version, Webhook
from chalicelib.tenancy import Tenant

T = TypeVar("T")
GetCleanup = Callable[[Tenant, str], Cleanup]  # the cleanup repository's `get`: `RecordNotFoundError` if none

# The tenant's events, versions and callbacks, one or all: the store's reads as they are.
list_events, get_event = store.list_events, store.get_event
list_versions, get_version = store.list_versions, store.get_version
list_event_callbacks, get_event_callback = webhook_store.list_callbacks, webhook_store.get_callback


def _outliving(found: list[T], tenant: Tenant, cleanup_id: str, get_cleanup: GetCleanup) -> list[T]:
    """What a cleanup left (it outlives the cleanup); 404 only when there is none and no cleanup either."""
    if not found:
        get_cleanup(tenant, cleanup_id)
    return found


def events_of_cleanup(tenant: Tenant, cleanup_id: str, get_cleanup: GetCleanup) -> list[Event]:
    return _outliving(store.events_of(tenant, cleanup_id), tenant, cleanup_id, get_cleanup)


def versions_of_cleanup(tenant: Tenant, cleanup_id: str, get_cleanup: GetCleanup) -> list[Version]:
    """A cleanup's versions (its destroy version included, after it is gone)."""
    return _outliving(store.versions_of(tenant, cleanup_id), tenant, cleanup_id, get_cleanup)


def last_event_callbacks(tenant: Tenant, webhook_id: str) -> list[EventCallback]:
    webhook_store.get_webhook(tenant, webhook_id)
    return webhook_store.last_callbacks(webhook_store.webhook_callbacks_partition(tenant, webhook_id))


def callbacks_of_event(tenant: Tenant, event_id: str) -> list[EventCallback]:
    store.get_event(tenant, event_id)
    return webhook_store.last_callbacks(webhook_store.event_callbacks_partition(tenant, event_id))


def webhooks_of_event(tenant: Tenant, event_id: str) -> list[Webhook]:
    """The tenant's webhooks listening to the event's topic."""
    topic = store.get_event(tenant, event_id).name
    return [w for w in webhook_store.list_webhooks(tenant) if w.topic == topic]


def webhook_of_callback(tenant: Tenant, callback_id: str) -> Webhook:
    return webhook_store.get_webhook(tenant, webhook_store.get_callback(tenant, callback_id).webhook_id)
