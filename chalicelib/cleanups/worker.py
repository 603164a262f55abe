"""The batch worker: one `cleanup_batch` message is one batch of a cleanup's snapshot.

A batch is deleted sub-batch by sub-batch, each numbered across the whole snapshot.

The interrupt check: before deleting a sub-batch, the worker marks it begun with one
write conditional on the cleanup being pending or in progress
(`CleanupRepository.start_sub_batch`). On an unthrottled cleanup the count write of the
sub-batch before it in the same delivery does that too, under the same condition, so a
sub-batch costs one write of the cleanup, not two. Once a cleanup is interrupted (by `_interrupt`,
`DELETE` or the error budget) no sub-batch begins; one already begun is finished and
counted, even by a redelivery after its worker died half-way, so no record is left
stripped of its associated records. After an interrupt each worker deletes at most the
sub-batch it had begun (SUB_BATCH_SIZE records).

Pacing: on a throttled cleanup the same write also takes the sub-batch's time slot
(`chalicelib.cleanups.pacing`): it moves the cleanup's `paced_until` on by the
sub-batch's share of `max_records_per_second`, conditional on the rate and
`paced_until` the worker planned from, so racing workers queue up and a changed rate
paces the next sub-batch. The worker then sleeps until its slot begins (a couple of
seconds at most). A slot further away, or more than BATCH_SECONDS after the delivery
began (a batch at a low rate outlasts a worker), is not taken: the worker sends its
message again, delayed until about then, and acknowledges this one (a crash in between leaves a
duplicate, which the counting absorbs; re-sending spares the queue's receive count).

The fairness gate: before processing a batch, the worker takes one of its tenant's
TENANT_MAX_WORKERS lease slots (`chalicelib.cleanups.fairness`), with one write
conditional on the slot being free or its lease expired, and releases it after. With
every slot held, the worker sends the message again, delayed by a couple of seconds,
and acknowledges this one, the same way: a tenant with many cleanups queued holds at
most that many workers, the others serve the other tenants. A crashed worker's slot
expires with its lease; a release frees only the slot its worker still holds.

Counting: each sub-batch's outcome is added by one write conditional on its number not
being counted yet, so a redelivered message, two workers on one batch, or a crash
half-way never count a record twice. The same write records the 10 % progress steps
the worker planned it to cross (`chalicelib.cleanups.progress`) with their
`cleanups.progress` events, conditional on none of them being recorded already (a
worker that finds one was plans again). Another worker's counts meanwhile do not refuse
it: the total it returns shows the steps really crossed, and any still unrecorded are
recorded right after (`record_missing_steps`), so each step fires once.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from chalicelib import telemetry
from chalicelib.cleanups import fairness, pacing, progress
from chalicelib.cleanups.model import (
    ACTIVE,
    COMPLETED,
    PENDING,
    WORKER,
    Cleanup,
    batch_messages,
    complete,
    interrupt,
    over_error_budget,
    start,
    sub_batches_of,
)
from chalicelib.cleanups.ports import Ports, Start, Tally
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


def count(ports: Ports, cleanup: Cleanup, number: int, deleted: int, errors: dict[str, Any],
          following: tuple[int, int] | None = None) -> Cleanup | None:
    """Count one sub-batch's outcome (once) with the progress steps it crosses, and settle the cleanup;
    the cleanup after it, None when it was counted before.

    `following` (number, size): the sub-batch to begin in the same write while the cleanup is active and
    unthrottled (a throttled one begins each sub-batch in its own slot, `_begin`).
    """
    log = bounded_log(ports, errors, cleanup.errors_log)
    while True:
        moment = ports.clock.now()
        counted = replace(cleanup, processed_count=cleanup.processed_count + deleted,
                          errors_count=cleanup.errors_count + len(errors),
                          counted_records=cleanup.counted_records + deleted + len(errors))
        tally = _tally(ports, cleanup, counted, number, moment)
        then_start = _then_start(ports, counted, following, moment.timestamp())
        after = ports.cleanups.count_sub_batch(cleanup.tenant, cleanup.id, number, deleted, len(errors), log,
                                               iso(moment), tally, then_start)
        if after is not None:
            break
        cleanup = ports.cleanups.get(cleanup.tenant, cleanup.id)
        if number in cleanup.counted:
            record_missing_steps(ports, cleanup)  # the delivery that counted it may have died right after
            return None
    ports.events.dispatch(tally.recorded)
    telemetry.sub_batch_counted(after, number, deleted, len(errors))
    after = record_missing_steps(ports, after)
    settle(ports, after)
    return after


def record_missing_steps(ports: Ports, cleanup: Cleanup) -> Cleanup:
    """Record the progress steps `cleanup`'s total has crossed without their event, the cleanup as it then is.

    A count planned from a stale read crossed them. Had its worker died before this, the next count
    records them (it plans every step missing below its total), or the redelivery of its message.
    """
    for _ in progress.STEPS:  # each refusal is a step another worker recorded meanwhile
        steps = progress.missing(cleanup.counted_records, cleanup.records_count, cleanup.progress_steps)
        if not steps:
            break
        recorded = ports.events.recorded_progress(cleanup, steps)
        if ports.cleanups.record_steps(cleanup, steps, recorded):
            ports.events.dispatch(recorded)
            return replace(cleanup, progress_steps=cleanup.progress_steps | set(steps))
        cleanup = ports.cleanups.get(cleanup.tenant, cleanup.id)
    return cleanup


def _then_start(ports: Ports, counted: Cleanup, following: tuple[int, int] | None, now: float) -> Start | None:
    """The following sub-batch's start, for the count write; None if it must wait for its own write: the
    cleanup is throttled or no longer active, or `counted` (the cleanup as the count will leave it) is past
    its error budget (no more deletes)."""
    if following is None or counted.status not in ACTIVE or counted.max_records_per_second is not None:
        return None
    if over_error_budget(counted, ports.settings.error_budget_ratio):
        return None
    number, size = following
    return Start(number, pacing.plan(counted, size, now))


def _tally(ports: Ports, cleanup: Cleanup, counted: Cleanup, number: int, moment: datetime) -> Tally:
    """The progress side of counting a sub-batch onto `cleanup` as last read, which leaves it `counted`."""
    added = counted.counted_records - cleanup.counted_records
    steps = progress.missing(counted.counted_records, cleanup.records_count, cleanup.progress_steps)
    return Tally(steps=tuple(steps), sample=progress.sample(number, moment, added),
                 recorded=ports.events.recorded_progress(counted, steps))


def _begin(ports: Ports, cleanup: Cleanup, number: int, size: int, received: float) -> tuple[Cleanup, bool | None]:
    """Mark sub-batch `number` begun in its throttle slot, then wait for the slot: (cleanup as last read,
    True if begun, False if the cleanup is no longer active, None if its slot is too far away, or past
    this delivery's time budget, received at `received`)."""
    while cleanup.status in ACTIVE:
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
        if cleanup.status == COMPLETED or cleanup.selecting:
            return  # a batch is only enqueued once selection is done (chalicelib.cleanups.selection)
        lease = fairness.take(ports, tenant)
        if lease is None:
            _wait_turn(ports, cleanup, batch_number)
            return
        try:
            _process(ports, cleanup, batch_number, ids)
        finally:
            fairness.release(ports, lease)
    except RecordNotFoundError:
        return  # deleted, now or mid-batch: nothing left to do


def _wait_turn(ports: Ports, cleanup: Cleanup, batch_number: int) -> None:
    """The batch's message again, a little later: the tenant holds all the workers it may."""
    ports.queue.send(batch_messages(cleanup, [batch_number]), delay_seconds=fairness.GIVE_BACK_SECONDS)
    telemetry.batch_waits_turn(cleanup, batch_number, fairness.GIVE_BACK_SECONDS)


def _process(ports: Ports, cleanup: Cleanup, batch_number: int, ids: list[str]) -> None:
    received = ports.clock.now().timestamp()
    cleanup = _started(ports, cleanup)
    telemetry.batch_begun(cleanup, batch_number, len(ids))
    may_start = cleanup.status in ACTIVE
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
                        _following(cleanup, planned[index + 1:]) if may_start else None)
        cleanup = counted or ports.cleanups.get(cleanup.tenant, cleanup.id)
        may_start = may_start and cleanup.status in ACTIVE


def _following(cleanup: Cleanup, rest: list[tuple[int, list[str]]]) -> tuple[int, int] | None:
    """The next sub-batch this delivery will begin, (number, size): None if it was begun or counted before."""
    for number, sub_ids in rest:
        if number not in cleanup.counted:
            return None if number in cleanup.started else (number, len(sub_ids))
    return None
