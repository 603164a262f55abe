"""Use cases of a cleanup's restore: ask for it or resume it (`_restore: true`), interrupt it (`_interrupt: true`).

Like the cleanup's own, each transition is one conditional write (`restore_transition`);
whoever wins it reports it to `ports.events` (a version). The restore itself runs in
the worker, one `restore_batch` message per archived sub-batch
(`chalicelib.cleanups.restore.worker`).
"""
from __future__ import annotations

from chalicelib.cleanups.domain.model import Actor, Cleanup
from chalicelib.cleanups.exceptions import CleanupFinishedError, RestoreFinishedError
from chalicelib.cleanups.ports import Ports
from chalicelib.cleanups.restore.model import check_restorable, requested, restore_messages, stopped, unrestored
from chalicelib.cleanups.restore.worker import settle_restore
from chalicelib.cleanups.service_layer.transitions import commit_restore_transition
from chalicelib.tenancy import Tenant


def request_restore(ports: Ports, tenant: Tenant, cleanup_id: str, actor: Actor) -> Cleanup:
    """pending, with one message per sub-batch the cleanup began and the restore has not counted (all of them
    but on a resume); 422 unless `check_restorable` allows it."""
    while True:
        before = ports.cleanups.get(tenant, cleanup_id)
        moment = ports.clock.now()
        check_restorable(before, moment, archived=ports.settings.archive_deletes)
        after = requested(before, moment)
        if commit_restore_transition(ports, before, after, actor):
            break
        # Another request won (the next look refuses it), or the cleanup is gone (404).
    numbers = unrestored(after)
    if not numbers:  # it deleted nothing, or its interrupted restore had counted everything: nothing to wait for
        settle_restore(ports, after)
        return ports.cleanups.get(tenant, cleanup_id)
    ports.queue.send(restore_messages(after, numbers))
    return after


def interrupt_restore(ports: Ports, tenant: Tenant, cleanup_id: str, actor: Actor) -> Cleanup:
    """Move a pending or in-progress restore to interrupted; 422 when there is none running."""
    while True:
        before = ports.cleanups.get(tenant, cleanup_id)
        if not before.restoring:
            if before.restore_status is None:
                raise CleanupFinishedError(before.status)
            raise RestoreFinishedError(before.restore_status)
        after = stopped(before, ports.clock.now())
        if commit_restore_transition(ports, before, after, actor):
            return after
        # The worker moved it (pending -> in_progress, or to completed): look again.
