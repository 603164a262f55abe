"""The restore worker: one `restore_batch` message puts back one archived sub-batch of a cleanup.

The same guarantees as the cleanup worker (`chalicelib.cleanups.service_layer.worker`), on the
restore's own sets: before restoring a sub-batch the worker marks it begun with one
write conditional on the restore being pending or in progress (the interrupt check:
after `_interrupt`, a sub-batch already begun is finished and counted, no other
begins), and adds its outcome with one write conditional on its number not being
counted yet, so duplicated, reordered or crashed deliveries count each root once.
`restore_sub_batch` is idempotent: a root put back earlier, unchanged, counts as restored,
so a resumed restore finishes the sub-batches begun but not counted when it was interrupted.

A sub-batch the cleanup began but has not counted may still be deleting: its
restore waits (the message comes back later) until the delete is counted, so a
restore never races the delete it undoes.
"""
from __future__ import annotations

from typing import Any

from chalicelib.cleanups.domain.model import PENDING, WORKER, Cleanup, batch_of_sub_batch, sub_batches_of
from chalicelib.cleanups.ports import Ports
from chalicelib.cleanups.restore.model import NO_ARCHIVE, begun, finished, restore_messages
from chalicelib.cleanups.service_layer.transitions import commit_restore_transition, moved_once
from chalicelib.cleanups.service_layer.worker import bounded_log
from chalicelib.exceptions import RecordNotFoundError
from chalicelib.tenancy import Tenant, iso

WAIT_SECONDS = 5  # how long a restore waits for a delete still in flight before it looks again


def restore_batch(ports: Ports, tenant: Tenant, cleanup_id: str, number: int) -> None:
    try:
        _restore(ports, ports.cleanups.get(tenant, cleanup_id), number)
    except RecordNotFoundError:
        return  # the cleanup was deleted: nothing to count into


def _restore(ports: Ports, cleanup: Cleanup, number: int) -> None:
    if number in cleanup.restore_counted:  # by an earlier delivery, perhaps before a resume it may now settle
        settle_restore(ports, cleanup)
        return
    if number not in cleanup.started:
        return  # never deleted from
    begun_before = number in cleanup.restore_started  # by an earlier delivery, or before an interrupt
    if not begun_before:
        if not cleanup.restoring:
            return  # interrupted before this sub-batch began
        if number not in cleanup.counted:  # the cleanup's delete of it is still in flight
            ports.queue.send(restore_messages(cleanup, [number]), delay_seconds=WAIT_SECONDS)
            return
    cleanup = _begun(ports, cleanup)  # a resumed restore may go on with a sub-batch begun before it
    if not begun_before and not ports.cleanups.start_restore_sub_batch(cleanup.tenant, cleanup.id, number):
        return
    restoration = ports.records.restore_sub_batch(cleanup.tenant, cleanup.id, number)
    if restoration.archived:
        count_restore(ports, cleanup, number, len(restoration.restored), restoration.errors)
    else:
        count_restore(ports, cleanup, number, 0, {i: NO_ARCHIVE for i in deleted_ids(ports, cleanup, number)})


def _begun(ports: Ports, cleanup: Cleanup) -> Cleanup:
    """restore pending -> in_progress exactly once: the writer that wins reports it."""
    return moved_once(ports, cleanup, lambda c: c.restore_status == PENDING, begun, commit_restore_transition)


def deleted_ids(ports: Ports, cleanup: Cleanup, number: int) -> list[str]:
    """What sub-batch `number` deleted as far as the cleanup knows: its snapshot ids but the errors."""
    batch = batch_of_sub_batch(number, cleanup.batch_size, cleanup.sub_batch_size)
    ids = ports.cleanups.batch_ids(cleanup.tenant, cleanup.id, batch)
    subs = dict(sub_batches_of(batch, ids, cleanup.batch_size, cleanup.sub_batch_size))
    return [i for i in subs.get(number, []) if i not in cleanup.errors_log]


def count_restore(ports: Ports, cleanup: Cleanup, number: int, restored: int,
                  errors: dict[str, Any]) -> Cleanup | None:
    """Count one sub-batch's restore (once) and settle the restore; the cleanup after it."""
    logged = bounded_log(ports, errors, cleanup.restore_errors_log)
    after = ports.cleanups.count_restore_sub_batch(cleanup.tenant, cleanup.id, number, restored, len(errors),
                                                   logged, iso(ports.clock.now()))
    if after is not None:
        settle_restore(ports, after)
    return after


def settle_restore(ports: Ports, cleanup: Cleanup) -> None:
    """Complete a running restore once every sub-batch the cleanup began is counted."""
    if not (cleanup.restoring and cleanup.fully_restored):
        return
    after = finished(cleanup, ports.clock.now())
    commit_restore_transition(ports, cleanup, after, WORKER)
