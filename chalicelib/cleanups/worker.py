"""The batch worker: one `cleanup_batch` message is one batch of a cleanup's snapshot.

A batch is deleted sub-batch by sub-batch, each numbered across the whole snapshot.

The interrupt check: before deleting a sub-batch, the worker marks it begun with one
write conditional on the cleanup being pending or in progress
(`CleanupRepository.start_sub_batch`). Once a cleanup is interrupted (by `_interrupt`,
`DELETE` or the error budget) no sub-batch begins; one already begun is finished and
counted, even by a redelivery after its worker died half-way, so no record is left
stripped of its associated records. After an interrupt each worker deletes at most the
sub-batch it had begun (SUB_BATCH_SIZE records).

Counting: each sub-batch's outcome is added by one write conditional on its number not
being counted yet, so a redelivered message, two workers on one batch, or a crash
half-way never count a record twice.
"""
from __future__ import annotations

from typing import Any

from chalicelib import telemetry
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
from chalicelib.cleanups.ports import Ports
from chalicelib.cleanups.transitions import commit_transition, moved_once
from chalicelib.exceptions import RecordNotFoundError
from chalicelib.tenancy import Tenant, iso


def _started(ports: Ports, cleanup: Cleanup) -> Cleanup:
    """pending -> in_progress exactly once: the writer that wins dispatches its event."""
    return moved_once(ports, cleanup, lambda c: c.status == PENDING, start, commit_transition)


def bounded_log(ports: Ports, errors: dict[str, Any], logged: dict[str, Any]) -> dict[str, Any]:
    """The entries of `errors` that fit beside those `logged` so far: the cleanup item stays far below
    DynamoDB's 400 KB, its logs stop growing at ERRORS_LOG_CAP."""
    room = max(0, ports.settings.errors_log_cap - len(logged))
    return dict(list(errors.items())[:room])


def settle(ports: Ports, cleanup: Cleanup) -> None:
    """After counting: interrupt past the error budget, complete once everything is counted."""
    if cleanup.status not in ACTIVE:
        return
    if over_error_budget(cleanup, ports.settings.error_budget_ratio):
        after = interrupt(cleanup, ports.clock.now())
    elif cleanup.fully_counted:
        after = complete(cleanup, ports.clock.now())
    else:
        return
    commit_transition(ports, cleanup, after, WORKER)


def count(ports: Ports, cleanup: Cleanup, number: int, deleted: int, errors: dict[str, Any]) -> Cleanup | None:
    """Count one sub-batch's outcome (once) and settle the cleanup; the cleanup after it."""
    after = ports.cleanups.count_sub_batch(cleanup.tenant, cleanup.id, number, deleted, len(errors),
                                           bounded_log(ports, errors, cleanup.errors_log), iso(ports.clock.now()))
    if after is not None:
        telemetry.sub_batch_counted(after, number, deleted, len(errors))
        settle(ports, after)
    return after


def process_batch(ports: Ports, tenant: Tenant, cleanup_id: str, batch_number: int) -> None:
    try:
        _process(ports, ports.cleanups.get(tenant, cleanup_id), batch_number)
    except RecordNotFoundError:
        return  # deleted, now or mid-batch: nothing left to do


def _process(ports: Ports, cleanup: Cleanup, batch_number: int) -> None:
    if cleanup.status == COMPLETED:
        return
    cleanup = _started(ports, cleanup)
    ids = ports.cleanups.batch_ids(cleanup.tenant, cleanup.id, batch_number)
    telemetry.batch_begun(cleanup, batch_number, len(ids))
    may_start = cleanup.status in ACTIVE
    for number, sub_ids in sub_batches_of(batch_number, ids, cleanup.batch_size, cleanup.sub_batch_size):
        if number in cleanup.counted:
            continue  # counted by an earlier delivery
        if number not in cleanup.started:
            may_start = may_start and ports.cleanups.start_sub_batch(cleanup.tenant, cleanup.id, number)
            if not may_start:
                continue
        outcome = ports.records.delete_sub_batch(cleanup.tenant, cleanup.resource_type, sub_ids,
                                                 not_modified_after=cleanup.created_at, cleanup_id=cleanup.id,
                                                 number=number)
        counted = count(ports, cleanup, number, len(outcome.deleted), outcome.errors)
        cleanup = counted or ports.cleanups.get(cleanup.tenant, cleanup.id)
        may_start = may_start and cleanup.status in ACTIVE
