"""Use cases of the cleanup resource: create, update (interrupt), delete, list.

Each takes what it changes (tenant, ids, attributes) and the `events` port; the
store and the queue are the module adapters. Transitions go through the store's
conditional writes: whoever wins a transition reports it to `events`.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Protocol

from chalicelib import queue
from chalicelib.catalog import get_type
from chalicelib.cleanups import store
from chalicelib.cleanups.exceptions import CleanupFinishedError, CleanupLimitError, TooManyRecordsError
from chalicelib.cleanups.model import (
    ACTIVE,
    Actor,
    Cleanup,
    aligned_batch_size,
    complete,
    interrupt,
    plan_batches,
    validate_create,
    validate_update,
)
from chalicelib.config import get_settings
from chalicelib.exceptions import ValidationError
from chalicelib.filters import FilterError, parse_filters
from chalicelib.records import select_ids
from chalicelib.tenancy import Tenant, iso, new_id, now


class CleanupEvents(Protocol):
    """What the events package is told: it writes versions and fires topics from these."""

    def created(self, cleanup: Cleanup, actor: Actor) -> None: ...

    def changed(self, before: Cleanup, after: Cleanup, actor: Actor) -> None: ...

    def destroyed(self, cleanup: Cleanup, actor: Actor) -> None: ...


def batch_messages(cleanup: Cleanup, numbers: list[int]) -> list[dict[str, Any]]:
    tenant = {"organization_id": cleanup.tenant.organization_id, "mode": cleanup.tenant.mode}
    return [{"kind": "cleanup_batch", "tenant": tenant, "cleanup_id": cleanup.id, "batch": n} for n in numbers]


def _selection(tenant: Tenant, resource_type: str, filters: dict[str, Any], limit: int) -> list[str]:
    try:
        conditions = parse_filters(get_type(resource_type).filterable(), filters).conditions
    except FilterError as error:
        raise ValidationError(f"filters: {error.key}: {error.message}", pointer="/data/attributes/filters") from None
    ids = select_ids(tenant, resource_type, conditions, limit=limit)
    if len(ids) > limit:
        raise TooManyRecordsError(limit)
    return ids


def _acquire_slot(tenant: Tenant, limit: int) -> None:
    try:
        store.acquire_slot(tenant, limit)
    except CleanupLimitError:
        # A crash between acquiring and saving leaks a slot: recount before refusing.
        actual = store.count_active(tenant)
        if actual >= limit:
            raise
        store.reset_slots(tenant, actual)
        store.acquire_slot(tenant, limit)


def create_cleanup(tenant: Tenant, attributes: dict[str, Any], actor: Actor, events: CleanupEvents) -> Cleanup:
    validate_create(attributes)
    settings = get_settings()
    moment = now()  # before selecting: a record changed from here on is not deleted
    filters = attributes.get("filters") or {}
    ids = _selection(tenant, attributes["resource_type"], filters, settings.max_cleanup_records)
    batch_size = aligned_batch_size(settings.batch_size, settings.sub_batch_size)
    batches = plan_batches(ids, batch_size)
    cleanup = Cleanup(
        tenant=tenant, id=new_id(), resource_type=attributes["resource_type"], filters=filters,
        created_at=iso(moment) or "", updated_at=iso(moment) or "", records_count=len(ids),
        batch_size=batch_size, sub_batch_size=settings.sub_batch_size, batch_count=len(batches),
        sub_batch_count=-(-len(ids) // settings.sub_batch_size), reference=attributes.get("reference"),
        reference_origin=attributes.get("reference_origin"), metadata=attributes.get("metadata") or {},
    )
    if not batches:
        done = complete(cleanup, moment)
        store.save_new(done, [])
        events.created(done, actor)
        return done
    _acquire_slot(tenant, settings.max_active_cleanups)
    try:
        store.save_new(cleanup, batches)
    except Exception:
        store.release_slot(tenant)
        raise
    events.created(cleanup, actor)
    queue.send(batch_messages(cleanup, list(range(len(batches)))))
    return cleanup


def get_cleanup(tenant: Tenant, cleanup_id: str) -> Cleanup:
    return store.get(tenant, cleanup_id)


def list_cleanups(tenant: Tenant) -> list[Cleanup]:
    return store.list_for(tenant)


def interrupt_cleanup(tenant: Tenant, cleanup_id: str, actor: Actor, events: CleanupEvents) -> Cleanup:
    """Move an active cleanup to interrupted; 422 if it already finished."""
    while True:
        before = store.get(tenant, cleanup_id)
        if before.status not in ACTIVE:
            raise CleanupFinishedError(before.status)
        after = interrupt(before, now())
        if store.transition(before, after):
            store.release_slot(tenant)
            events.changed(before, after, actor)
            return after
        # The worker moved it (pending -> in_progress, or to a terminal state): look again.


def update_cleanup(tenant: Tenant, cleanup_id: str, attributes: dict[str, Any], actor: Actor,
                   events: CleanupEvents) -> Cleanup:
    wants_interrupt = validate_update(attributes)
    details: dict[str, Any] = {k: attributes[k] for k in ("reference", "reference_origin", "metadata")
                               if k in attributes}
    cleanup = interrupt_cleanup(tenant, cleanup_id, actor, events) if wants_interrupt else store.get(tenant, cleanup_id)
    if not details:
        return cleanup
    stamped = replace(cleanup, **details, updated_at=iso(now()) or "")
    after = store.update_details(stamped, details)
    events.changed(cleanup, after, actor)
    return after


def delete_cleanup(tenant: Tenant, cleanup_id: str, actor: Actor, events: CleanupEvents) -> None:
    """Interrupt it if active (same guarantee as `_interrupt`), then remove it and its snapshot."""
    cleanup = store.get(tenant, cleanup_id)
    if cleanup.active:
        try:
            cleanup = interrupt_cleanup(tenant, cleanup_id, actor, events)
        except CleanupFinishedError:
            cleanup = store.get(tenant, cleanup_id)
    store.delete(cleanup)
    events.destroyed(cleanup, actor)
