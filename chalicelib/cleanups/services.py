"""Use cases of the cleanup resource: create, update (interrupt), delete, list.

Each takes the `Ports` first, then what it changes (tenant, ids, attributes). Every write
commits what it reports (events, versions, built by `ports.events`) in the same
transaction, and the winner dispatches the events after the commit.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalicelib import telemetry
from chalicelib.catalog import get_type
from chalicelib.cleanups.exceptions import CleanupFinishedError, TooManyRecordsError
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
from chalicelib.cleanups.ports import Ports
from chalicelib.cleanups.restore_model import validate_restore
from chalicelib.cleanups.restore_services import interrupt_restore, request_restore
from chalicelib.cleanups.transitions import commit_transition
from chalicelib.filters import parse_filters
from chalicelib.idempotency import Claim
from chalicelib.tenancy import Tenant, iso, new_id

DETAILS = ("reference", "reference_origin", "metadata")


def batch_messages(cleanup: Cleanup, numbers: list[int]) -> list[dict[str, Any]]:
    tenant = {"organization_id": cleanup.tenant.organization_id, "mode": cleanup.tenant.mode}
    return [{"kind": "cleanup_batch", "tenant": tenant, "cleanup_id": cleanup.id, "batch": n} for n in numbers]


def _selection(ports: Ports, tenant: Tenant, resource_type: str, filters: dict[str, Any]) -> list[str]:
    limit = ports.settings.max_cleanup_records
    conditions = parse_filters(get_type(resource_type).filterable(), filters, in_body=True).conditions
    ids = ports.records.select_ids(tenant, resource_type, conditions, limit)
    if len(ids) > limit:
        raise TooManyRecordsError(limit)
    return ids


def create_cleanup(ports: Ports, tenant: Tenant, attributes: dict[str, Any], actor: Actor,
                   claim: Claim | None = None) -> Cleanup:
    """Select, snapshot and save a new cleanup; with a `claim`, only if its idempotency key is free
    (`IdempotencyKeyTakenError` otherwise: see `chalicelib.idempotency.once`)."""
    validate_create(attributes)
    settings = ports.settings
    moment = ports.clock.now()  # before selecting: a record changed from here on is not deleted
    filters = attributes.get("filters") or {}
    ids = _selection(ports, tenant, attributes["resource_type"], filters)
    batch_size = aligned_batch_size(settings.batch_size, settings.sub_batch_size)
    batches = plan_batches(ids, batch_size)
    cleanup = Cleanup(
        tenant=tenant, id=new_id(), resource_type=attributes["resource_type"], filters=filters,
        created_at=iso(moment), updated_at=iso(moment), records_count=len(ids),
        batch_size=batch_size, sub_batch_size=settings.sub_batch_size, batch_count=len(batches),
        sub_batch_count=-(-len(ids) // settings.sub_batch_size), reference=attributes.get("reference"),
        reference_origin=attributes.get("reference_origin"), metadata=attributes.get("metadata") or {},
        restore_window_days=settings.restore_window_days,
    )
    if not batches:
        cleanup = complete(cleanup, moment)  # nothing to delete: born completed, it takes no slot
    recorded = ports.events.recorded_create(cleanup, actor)
    ports.cleanups.save_new(cleanup, batches, recorded, settings.max_active_cleanups, claim)
    ports.events.dispatch(recorded)
    telemetry.created(cleanup)
    if batches:
        ports.queue.send(batch_messages(cleanup, list(range(len(batches)))))
    return cleanup


def get_cleanup(ports: Ports, tenant: Tenant, cleanup_id: str) -> Cleanup:
    return ports.cleanups.get(tenant, cleanup_id)


def list_cleanups(ports: Ports, tenant: Tenant) -> list[Cleanup]:
    return ports.cleanups.list_for(tenant)


def interrupt_cleanup(ports: Ports, tenant: Tenant, cleanup_id: str, actor: Actor) -> Cleanup:
    """Move an active cleanup to interrupted, or a finished one's running restore; 422 if neither runs."""
    while True:
        before = ports.cleanups.get(tenant, cleanup_id)
        if before.status not in ACTIVE and before.restore_status is not None:
            return interrupt_restore(ports, tenant, cleanup_id, actor)
        if before.status not in ACTIVE:
            raise CleanupFinishedError(before.status)
        after = interrupt(before, ports.clock.now())
        if commit_transition(ports, before, after, actor):
            return after
        # The worker moved it (pending -> in_progress, or to a terminal state): look again.


def update_cleanup(ports: Ports, tenant: Tenant, cleanup_id: str, attributes: dict[str, Any],
                   actor: Actor) -> Cleanup:
    wants_interrupt = validate_update(attributes)
    wants_restore = validate_restore(attributes)
    details: dict[str, Any] = {k: attributes[k] for k in DETAILS if k in attributes}
    if wants_interrupt:
        cleanup = interrupt_cleanup(ports, tenant, cleanup_id, actor)
    elif wants_restore:
        cleanup = request_restore(ports, tenant, cleanup_id, actor)
    else:
        cleanup = ports.cleanups.get(tenant, cleanup_id)
    if not details:
        return cleanup
    after = _with_details(cleanup, details, iso(ports.clock.now()))
    recorded = ports.events.recorded_change(cleanup, after, actor)
    stored = ports.cleanups.update_details(after, details, recorded)
    ports.events.dispatch(recorded)
    return stored


def _with_details(cleanup: Cleanup, details: dict[str, Any], moment: str) -> Cleanup:
    """The cleanup as the update leaves it: a removed metadata reads back as {}."""
    values = {name: {} if name == "metadata" and value is None else value for name, value in details.items()}
    return replace(cleanup, **values, updated_at=moment)


def delete_cleanup(ports: Ports, tenant: Tenant, cleanup_id: str, actor: Actor) -> None:
    """Interrupt it if active (same guarantee as `_interrupt`), then remove it and its snapshot."""
    cleanup = ports.cleanups.get(tenant, cleanup_id)
    if cleanup.active:
        try:
            cleanup = interrupt_cleanup(ports, tenant, cleanup_id, actor)
        except CleanupFinishedError:
            cleanup = ports.cleanups.get(tenant, cleanup_id)
    recorded = ports.events.recorded_destroy(cleanup, actor)
    if ports.cleanups.delete(cleanup, recorded):
        ports.events.dispatch(recorded)
