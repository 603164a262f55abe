"""The batch worker: one SQS message is one batch of a cleanup's snapshot.

A batch is deleted sub-batch by sub-batch. Each sub-batch's outcome is counted
by one conditional update keyed by its number, which also returns the status:
that read is the interrupt check before the next sub-batch. So a redelivered
message, two workers on one batch, or a crash half-way never count a record twice.
"""
from __future__ import annotations

from typing import Any

from chalicelib.cleanups import store
from chalicelib.cleanups.model import (
    ACTIVE,
    COMPLETED,
    PENDING,
    WORKER,
    Cleanup,
    complete,
    interrupt,
    over_error_budget,
    start,
    sub_batches_of,
)
from chalicelib.cleanups.services import CleanupEvents
from chalicelib.config import get_settings
from chalicelib.exceptions import RecordNotFoundError
from chalicelib.records import delete_batch
from chalicelib.tenancy import Tenant, iso, now


def _started(cleanup: Cleanup, events: CleanupEvents) -> Cleanup:
    """pending -> in_progress exactly once: the writer that wins reports it."""
    while cleanup.status == PENDING:
        after = start(cleanup, now())
        if store.transition(cleanup, after):
            events.changed(cleanup, after, WORKER)
            return after
        cleanup = store.get(cleanup.tenant, cleanup.id)
    return cleanup


def _bounded_log(errors: dict[str, Any], cleanup: Cleanup) -> dict[str, Any]:
    """Keep the cleanup item far below DynamoDB's 400 KB: the log stops growing at the cap."""
    room = max(0, get_settings().errors_log_cap - len(cleanup.errors_log))
    return dict(list(errors.items())[:room])


def settle(cleanup: Cleanup, events: CleanupEvents) -> None:
    """After counting: interrupt past the error budget, complete once everything is counted."""
    if cleanup.status not in ACTIVE:
        return
    if over_error_budget(cleanup, get_settings().error_budget_ratio):
        after = interrupt(cleanup, now())
    elif cleanup.fully_counted:
        after = complete(cleanup, now())
    else:
        return
    if store.transition(cleanup, after):
        store.release_slot(cleanup.tenant)
        events.changed(cleanup, after, WORKER)


def count(cleanup: Cleanup, number: int, deleted: int, errors: dict[str, Any], events: CleanupEvents) -> Cleanup | None:
    """Count one sub-batch's outcome (once) and settle the cleanup; the cleanup after it."""
    after = store.count_sub_batch(cleanup.tenant, cleanup.id, number, deleted, len(errors),
                                  _bounded_log(errors, cleanup), iso(now()) or "")
    if after is not None:
        settle(after, events)
    return after


def process_batch(tenant: Tenant, cleanup_id: str, batch_number: int, events: CleanupEvents) -> None:
    try:
        _process(store.get(tenant, cleanup_id), batch_number, events)
    except RecordNotFoundError:
        return  # deleted, now or mid-batch: nothing left to do


def _process(cleanup: Cleanup, batch_number: int, events: CleanupEvents) -> None:
    if cleanup.status == COMPLETED:
        return
    cleanup = _started(cleanup, events)
    ids = store.batch_ids(cleanup.tenant, cleanup.id, batch_number)
    may_start = cleanup.status in ACTIVE
    for number, sub_ids in sub_batches_of(batch_number, ids, cleanup.batch_size, cleanup.sub_batch_size):
        if number in cleanup.counted:
            continue  # counted by an earlier delivery
        if number not in cleanup.started:
            # The interrupt check: once interrupted, no sub-batch starts; one already begun is finished.
            may_start = may_start and store.start_sub_batch(cleanup.tenant, cleanup.id, number)
            if not may_start:
                continue
        outcome = delete_batch(cleanup.tenant, cleanup.resource_type, sub_ids, not_modified_after=cleanup.created_at,
                               archive=None, archive_key=None)
        counted = count(cleanup, number, len(outcome.deleted), outcome.errors, events)
        cleanup = counted or store.get(cleanup.tenant, cleanup.id)
        may_start = may_start and cleanup.status in ACTIVE
