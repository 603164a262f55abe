"""The batch worker: one `cleanup_batch` message is one batch of a cleanup's snapshot.

A batch is deleted sub-batch by sub-batch, each numbered across the whole snapshot. What
callers rely on (why: docs/DESIGN.md#the-worker):
- A sub-batch begins with a write conditional on the cleanup being active with no interrupt
  asked for (`CleanupRepository.start_sub_batch`, or the count write of the one before it);
  one begun is finished and counted, even by a redelivery after its worker died half-way.
- Each sub-batch's outcome is counted once (a write conditional on its number), whatever
  the deliveries; a count crossing 10 % steps fires one progress event (`progress`).
- An interrupt (asked by `_interrupt`, DELETE or the error budget) becomes `interrupted` once
  no begun sub-batch is uncounted, so a terminal cleanup's counts are final (`settle`).
- Throttle (`pacing`) and fairness (`fairness`) gate when a sub-batch or a batch may begin;
  a batch that must wait goes back to the queue, delayed.
- The report rows of the sub-batches a delivery counted become one part (`service_layer.report`).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalicelib import telemetry
from chalicelib.cleanups.domain import fairness, pacing, progress
from chalicelib.cleanups.domain.budget import log_entry
from chalicelib.cleanups.domain.model import (
    COMPLETED,
    PENDING,
    WORKER,
    Cleanup,
    batch_messages,
    complete,
    interrupt_request,
    over_error_budget,
    start,
    sub_batches_of,
)
from chalicelib.cleanups.domain.report import Row
from chalicelib.cleanups.ports import Ports, Start
from chalicelib.cleanups.service_layer import leases, report
from chalicelib.cleanups.service_layer.report import Pending
from chalicelib.cleanups.service_layer.transitions import commit_transition, conclude_interrupt, moved_once
from chalicelib.exceptions import RecordNotFoundError
from chalicelib.tenancy import Tenant, iso


def _started(ports: Ports, cleanup: Cleanup) -> Cleanup:
    """pending -> in_progress exactly once: the writer that wins dispatches its event."""
    return moved_once(ports, cleanup, lambda c: c.status == PENDING and c.may_begin, start, commit_transition)


def bounded_log(ports: Ports, errors: dict[str, Any], logged: dict[str, Any]) -> dict[str, Any]:
    """The entries of `errors` that fit beside those `logged` so far, each within its bytes (`budget.log_entry`):
    the logs stop growing at ERRORS_LOG_CAP, and the cleanup's item stays within its budget."""
    room = max(0, ports.settings.errors_log_cap - len(logged))
    return {key: log_entry(key, entry) for key, entry in list(errors.items())[:room]}


def settle(ports: Ports, cleanup: Cleanup, pending: Pending | None = None) -> Cleanup:
    """After counting: ask to interrupt past the error budget; once an interrupt is asked for and nothing is in
    flight, interrupted; once everything is counted, completed. The cleanup as it then is (an ending asks for
    the report through `pending`: `report.ask`)."""
    if not cleanup.active:
        return cleanup
    if cleanup.interrupt_request is None and over_error_budget(cleanup, ports.settings.error_budget_ratio):
        cleanup = ports.cleanups.request_interrupt(cleanup, interrupt_request(WORKER, ports.clock.now())) \
            or ports.cleanups.get(cleanup.tenant, cleanup.id)
    if cleanup.interrupt_request is not None:
        return conclude_interrupt(ports, cleanup, pending) if not cleanup.in_flight else cleanup
    if cleanup.fully_counted:
        after = complete(cleanup, ports.clock.now())
        if commit_transition(ports, cleanup, after, WORKER, pending):
            return after
        # Interrupted meanwhile, or an interrupt asked for since this count: settled as that asks
        return settle(ports, ports.cleanups.get(cleanup.tenant, cleanup.id), pending)
    return cleanup


def count(ports: Ports, cleanup: Cleanup, number: int, deleted: int, errors: dict[str, Any],
          following: tuple[int, int] | None = None, pending: Pending | None = None,
          rows: list[Row] | None = None) -> Cleanup | None:
    """Count one sub-batch's outcome (once), fire its progress event, and settle the cleanup; the cleanup after
    it, None when it was counted before.

    `following` (number, size): the sub-batch to begin in the same write while the cleanup may begin one and is
    unthrottled (a throttled one begins each sub-batch in its own slot, `_begin`). `rows`: the sub-batch's
    report rows, kept in `pending` once counted and written as a part before a write that may end the cleanup.
    """
    log = bounded_log(ports, errors, cleanup.errors_log)
    added = deleted + len(errors)
    while True:
        moment = ports.clock.now()
        counted = replace(cleanup, processed_count=cleanup.processed_count + deleted,
                          errors_count=cleanup.errors_count + len(errors))
        then_start = _then_start(ports, counted, following, moment.timestamp())
        after = ports.cleanups.count_sub_batch(cleanup.tenant, cleanup.id, number, deleted, len(errors), log,
                                               iso(moment), progress.sample(number, moment, added), then_start)
        if after is not None:
            break
        cleanup = ports.cleanups.get(cleanup.tenant, cleanup.id)
        if number in cleanup.counted:
            return None
    telemetry.sub_batch_counted(after, number, deleted, len(errors))
    if pending is not None and rows is not None:
        pending.rows[number] = rows
        if after.fully_counted or after.interrupt_request is not None \
                or over_error_budget(after, ports.settings.error_budget_ratio):
            report.write_part(ports, after, pending)
    if progress.crossed(after.counted_records - added, added, after.records_count) and not after.fully_counted:
        recorded = ports.events.recorded_progress(after, number)
        ports.cleanups.report(recorded)
        ports.events.dispatch(recorded)
    if not after.active and report.due(after):  # counted after the interrupt: the last to land makes it due
        report.ask(ports, after, pending)
    return settle(ports, after, pending)


def _then_start(ports: Ports, counted: Cleanup, following: tuple[int, int] | None, now: float) -> Start | None:
    """The following sub-batch's start, for the count write; None if it must wait for its own write: the
    cleanup is throttled or may begin no more, or `counted` (the cleanup as the count will leave it) is past
    its error budget (no more deletes)."""
    if following is None or not counted.may_begin or counted.max_records_per_second is not None:
        return None
    if over_error_budget(counted, ports.settings.error_budget_ratio):
        return None
    number, size = following
    return Start(number, pacing.plan(counted, size, now))


def _begin(ports: Ports, cleanup: Cleanup, number: int, size: int, received: float) -> tuple[Cleanup, bool | None]:
    """Mark sub-batch `number` begun in its throttle slot, then wait for the slot: (cleanup as last read,
    True if begun, False if the cleanup may begin no more, None if its slot is too far away, or past
    this delivery's time budget, received at `received`)."""
    while cleanup.may_begin:
        now = ports.clock.now().timestamp()
        pace = pacing.plan(cleanup, size, now)
        if pacing.too_far(pace, now) or pacing.past_budget(pace, received):
            return cleanup, None
        if ports.cleanups.start_sub_batch(cleanup.tenant, cleanup.id, number, pace):
            if pace.begins > now:
                ports.clock.sleep(pace.begins - now)
            return cleanup, True
        cleanup = ports.cleanups.get(cleanup.tenant, cleanup.id)  # interrupted, or another worker's slot
    return cleanup, False


def _give_back(ports: Ports, cleanup: Cleanup, batch_number: int, size: int) -> None:
    """The batch's message again, delayed until about its next slot; this delivery is then acknowledged."""
    now = ports.clock.now().timestamp()
    delay = pacing.give_back_delay(pacing.plan(cleanup, size, now), now)
    ports.queue.send(batch_messages(cleanup, [batch_number]), delay_seconds=delay)
    telemetry.batch_given_back(cleanup, batch_number, delay)


def process_batch(ports: Ports, tenant: Tenant, cleanup_id: str, batch_number: int) -> None:
    try:
        cleanup, ids = ports.cleanups.get_with_batch(tenant, cleanup_id, batch_number)
        _report_unwritten(ports, cleanup, batch_number, ids)
        if cleanup.status == COMPLETED or cleanup.selecting:
            return  # a batch is only enqueued once selection is done (chalicelib.cleanups.service_layer.selection)
        lease = leases.take(ports, tenant)
        if lease is None:
            _wait_turn(ports, cleanup, batch_number)
            return
        pending = Pending(compose=True)
        try:
            _process(ports, cleanup, batch_number, ids, pending)
        finally:
            leases.release(ports, lease)
        if pending.due is not None:  # this delivery ended the cleanup: its report, outside the tenant's lease
            report.compose(ports, pending.due)
    except RecordNotFoundError:
        return  # deleted, now or mid-batch: nothing left to do


def _report_unwritten(ports: Ports, cleanup: Cleanup, batch_number: int, ids: list[str]) -> None:
    """A batch that worked delivered again once its cleanup is due a report none wrote: the worker that ended the
    cleanup may have died before asking for it (a batch never begun does not ask: an interrupt leaves many)."""
    if not report.due(cleanup) or cleanup.report_written_at is not None:
        return
    numbers = [n for n, _ in sub_batches_of(batch_number, ids, cleanup.batch_size, cleanup.sub_batch_size)]
    if any(n in cleanup.started for n in numbers):
        report.request(ports, cleanup)


def _wait_turn(ports: Ports, cleanup: Cleanup, batch_number: int) -> None:
    """The batch's message again, a little later: the tenant holds all the workers it may."""
    ports.queue.send(batch_messages(cleanup, [batch_number]), delay_seconds=fairness.GIVE_BACK_SECONDS)
    telemetry.batch_waits_turn(cleanup, batch_number, fairness.GIVE_BACK_SECONDS)


def _process(ports: Ports, cleanup: Cleanup, batch_number: int, ids: list[str], pending: Pending) -> None:
    """The batch's sub-batches; the report rows of those it counted are written as one part at the end (or
    earlier, before a count that may end the cleanup: `count`)."""
    try:
        _delete_each(ports, cleanup, batch_number, ids, pending)
    finally:
        report.write_part(ports, cleanup, pending)


def _delete_each(ports: Ports, cleanup: Cleanup, batch_number: int, ids: list[str], pending: Pending) -> None:
    received = ports.clock.now().timestamp()
    cleanup = _started(ports, cleanup)
    telemetry.batch_begun(cleanup, batch_number, len(ids))
    may_start = cleanup.may_begin
    planned = sub_batches_of(batch_number, ids, cleanup.batch_size, cleanup.sub_batch_size)
    for index, (number, sub_ids) in enumerate(planned):
        if number in cleanup.counted:
            continue  # counted by an earlier delivery
        if number not in cleanup.started:
            if not may_start:
                continue
            cleanup, begun = _begin(ports, cleanup, number, len(sub_ids), received)
            if begun is None:
                _give_back(ports, cleanup, batch_number, len(sub_ids))
                return
            may_start = begun
            if not begun:
                continue
        outcome = ports.records.delete_sub_batch(cleanup.tenant, cleanup.resource_type, sub_ids,
                                                 not_modified_after=cleanup.created_at, cleanup_id=cleanup.id,
                                                 number=number)
        counted = count(ports, cleanup, number, len(outcome.deleted), outcome.errors,
                        _following(cleanup, planned[index + 1:]) if may_start else None,
                        pending, report.rows_of(sub_ids, outcome))
        cleanup = counted or ports.cleanups.get(cleanup.tenant, cleanup.id)
        may_start = may_start and cleanup.may_begin


def _following(cleanup: Cleanup, rest: list[tuple[int, list[str]]]) -> tuple[int, int] | None:
    """The next sub-batch this delivery will begin, (number, size): None if it was begun or counted before."""
    for number, sub_ids in rest:
        if number not in cleanup.counted:
            return None if number in cleanup.started else (number, len(sub_ids))
    return None
