"""Use cases of the cleanup resource: create, update (interrupt), delete, list.

Each takes the `Ports` first, then what it changes (tenant, ids, attributes). Every write
commits what it reports (events, versions, built by `ports.events`) in the same
transaction, and the winner dispatches the events after the commit.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, overload

from chalicelib import telemetry
from chalicelib.cleanups.domain import budget, pacing
from chalicelib.cleanups.domain.model import (
    ACTIVE,
    Actor,
    Cleanup,
    aligned_batch_size,
    batch_messages,
    check_expected_count,
    complete,
    interrupt_request,
    plan_batches,
    validate_create,
    validate_update,
)
from chalicelib.cleanups.exceptions import CleanupFinishedError, ThrottleFinishedError, TooManyRecordsError
from chalicelib.cleanups.ports import Listing, Ports
from chalicelib.cleanups.restore.model import validate_restore
from chalicelib.cleanups.restore.services import interrupt_restore, request_restore
from chalicelib.cleanups.service_layer import selection
from chalicelib.cleanups.service_layer.report import request as request_report
from chalicelib.cleanups.service_layer.report import with_link
from chalicelib.cleanups.service_layer.retry import retry_selection
from chalicelib.cleanups.service_layer.transitions import conclude_interrupt
from chalicelib.idempotency import Claim
from chalicelib.tenancy import Tenant, iso, new_id

DETAILS = ("reference", "reference_origin", "metadata", "max_records_per_second")
INTERRUPT_POLL_SECONDS = 0.1  # how often an interrupt reads whether its in-flight sub-batches are counted


def _selection(ports: Ports, tenant: Tenant, resource_type: str, filters: dict[str, Any],
               limit: int) -> list[str] | None:
    """The ids to delete; None when more match than a request selects and the worker selects them
    (`chalicelib.cleanups.service_layer.selection`); 422 past `limit` when the request can tell."""
    settings = ports.settings
    conditions = selection.conditions_of(resource_type, filters)
    if limit > settings.select_in_request_records:
        ids = ports.records.select_ids(tenant, resource_type, conditions, settings.select_in_request_records)
        return ids if len(ids) <= settings.select_in_request_records else None
    ids = ports.records.select_ids(tenant, resource_type, conditions, limit)
    if len(ids) > limit:
        raise TooManyRecordsError(limit)
    return ids


def create_cleanup(ports: Ports, tenant: Tenant, attributes: dict[str, Any], actor: Actor,
                   *, retry_of: str | None = None, claim: Claim | None = None, schedule_id: str | None = None,
                   max_records: int | None = None) -> Cleanup:
    """A cleanup of what `attributes` select, or of what cleanup `retry_of` left (`service_layer.retry`);
    with a `claim`, only if its idempotency key is free (`IdempotencyKeyTakenError` otherwise: see
    `chalicelib.idempotency.once`). A schedule's run names itself and its `max_records` (at most
    MAX_CLEANUP_RECORDS): past it, `TooManyRecordsError` and nothing is created."""
    validate_create(attributes, retrying=retry_of is not None)
    settings = ports.settings
    moment = ports.clock.now()  # before selecting: a record changed from here on is not deleted
    filters = attributes.get("filters") or {}
    limit = min(settings.max_cleanup_records, max_records or settings.max_cleanup_records)
    if retry_of is None:
        resource_type = attributes["resource_type"]
        ids = _selection(ports, tenant, resource_type, filters, limit)
    else:
        resource_type, ids = retry_selection(ports, tenant, retry_of, attributes)
    if ids is not None:
        check_expected_count(attributes, len(ids))
    rate = attributes.get("max_records_per_second")
    sub_batch_size = pacing.sub_batch_size(settings.sub_batch_size, rate)
    if rate is not None:  # a throttle makes sub-batches small; a selection left to the worker may reach the most
        budget.check_sub_batches(len(ids) if ids is not None else settings.max_cleanup_records, sub_batch_size)
    batch_size = aligned_batch_size(settings.batch_size, sub_batch_size)
    planned = ids if ids is not None else []  # a selection left to the worker plans nothing yet
    batches = plan_batches(planned, batch_size)
    count = len(planned)
    cleanup = Cleanup(
        tenant=tenant, id=new_id(), resource_type=resource_type, filters=filters, retry_of=retry_of,
        created_at=iso(moment), updated_at=iso(moment), records_count=count,
        batch_size=batch_size, sub_batch_size=sub_batch_size, batch_count=len(batches),
        sub_batch_count=-(-count // sub_batch_size), reference=attributes.get("reference"),
        reference_origin=attributes.get("reference_origin"), metadata=attributes.get("metadata") or {},
        restore_window_days=settings.restore_window_days, max_records_per_second=rate,
        records_limit=max_records if limit < settings.max_cleanup_records else None, schedule_id=schedule_id,
    )
    if ids is None:
        cleanup = selection.selecting(cleanup, attributes.get("expected_records_count"))
    elif not batches:
        cleanup = complete(cleanup, moment)  # nothing to delete: born completed, it takes no slot
    recorded = ports.events.recorded_create(cleanup, actor)
    ports.cleanups.save_new(cleanup, batches, recorded, settings.max_active_cleanups, claim)
    ports.events.dispatch(recorded)
    telemetry.created(cleanup)
    if ids is None:
        ports.queue.send([selection.selection_message(cleanup, 0)])
    elif batches:
        ports.queue.send(batch_messages(cleanup, list(range(len(batches)))))
    else:
        request_report(ports, cleanup)  # born completed: its (empty) report is due at once
    return cleanup


def get_cleanup(ports: Ports, tenant: Tenant, cleanup_id: str) -> Cleanup:
    """The cleanup as a client reads it: with its `report_url` signed now (`report.with_link`)."""
    return with_link(ports, ports.cleanups.get(tenant, cleanup_id))


@overload
def list_cleanups(ports: Ports, tenant: Tenant) -> list[Cleanup]: ...
@overload
def list_cleanups(ports: Ports, tenant: Tenant, listing: Listing) -> tuple[list[Cleanup], int]: ...


def list_cleanups(ports: Ports, tenant: Tenant,
                  listing: Listing | None = None) -> list[Cleanup] | tuple[list[Cleanup], int]:
    """Every cleanup of the tenant; or, given a `listing`, its page and how many match, read by key
    (the cost grows with the page, not with the tenant's history)."""
    if listing is None:
        return [with_link(ports, c) for c in ports.cleanups.list_for(tenant)]
    page, total = ports.cleanups.page(tenant, listing)
    return [with_link(ports, c) for c in page], total


def interrupt_cleanup(ports: Ports, tenant: Tenant, cleanup_id: str, actor: Actor) -> Cleanup:
    """Interrupt an active cleanup, or a finished one's running restore; 422 if neither runs.

    The cleanup reads `interrupted` once every sub-batch begun before the request is counted, so its answer
    carries final counts; a sub-batch still uncounted after INTERRUPT_SETTLE_SECONDS (its worker died) is
    left to its redelivery, and the cleanup shows `counts_settled: false` until it lands.
    """
    cleanup = _interrupt_asked(ports, tenant, cleanup_id, actor)  # a restore's interrupt is no longer active
    deadline = ports.clock.now().timestamp() + ports.settings.interrupt_settle_seconds
    while cleanup.active:
        if not cleanup.in_flight or ports.clock.now().timestamp() >= deadline:
            cleanup = conclude_interrupt(ports, cleanup)
            continue
        ports.clock.sleep(INTERRUPT_POLL_SECONDS)
        cleanup = ports.cleanups.get(tenant, cleanup_id)
    return cleanup


def _interrupt_asked(ports: Ports, tenant: Tenant, cleanup_id: str, actor: Actor) -> Cleanup:
    """The cleanup with its interrupt asked for (by this caller, or one before it); a finished cleanup's running
    restore interrupted instead; 422 if neither runs (also when the cleanup finished as the request was written)."""
    while True:
        before = ports.cleanups.get(tenant, cleanup_id)
        if before.status not in ACTIVE and before.restore_status is not None:
            return interrupt_restore(ports, tenant, cleanup_id, actor)
        if before.status not in ACTIVE:
            raise CleanupFinishedError(before.status)
        if before.interrupt_request is not None:
            return before
        asked = ports.cleanups.request_interrupt(before, interrupt_request(actor, ports.clock.now()))
        if asked is not None:
            return asked


def update_cleanup(ports: Ports, tenant: Tenant, cleanup_id: str, attributes: dict[str, Any],
                   actor: Actor) -> Cleanup:
    return with_link(ports, _updated(ports, tenant, cleanup_id, attributes, actor))


def _updated(ports: Ports, tenant: Tenant, cleanup_id: str, attributes: dict[str, Any], actor: Actor) -> Cleanup:
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
    if "max_records_per_second" in details and not cleanup.active:
        raise ThrottleFinishedError(cleanup.status)
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
    """Interrupt it if active (same guarantee as `_interrupt`), then remove it, its snapshot and its report's
    objects (after the cleanup: a death in between leaves them to the reports bucket's expiry)."""
    cleanup = ports.cleanups.get(tenant, cleanup_id)
    if cleanup.active:
        try:
            cleanup = interrupt_cleanup(ports, tenant, cleanup_id, actor)
        except CleanupFinishedError:
            cleanup = ports.cleanups.get(tenant, cleanup_id)
    recorded = ports.events.recorded_destroy(cleanup, actor)
    if ports.cleanups.delete(cleanup, recorded):
        ports.events.dispatch(recorded)
        ports.reports.delete(tenant, cleanup_id)
