"""The reconciler's restore half: no restore stays pending or in progress forever when messages are lost.

A restore without progress for RECONCILE_AFTER_SECONDS has its uncounted sub-batches
enqueued again, with the cleanup's own begun-but-uncounted batches (a restore waits for
those deletes). After RECONCILE_ATTEMPTS attempts without progress, the records of its
remaining sub-batches are counted as restore errors, which completes it.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.cleanups.domain.model import Cleanup, batch_of_sub_batch
from chalicelib.cleanups.ports import Ports
from chalicelib.cleanups.restore.model import UNRESTORABLE, restore_messages, unrestored
from chalicelib.cleanups.restore.worker import count_restore, deleted_ids, settle_restore
from chalicelib.cleanups.service_layer.services import batch_messages
from chalicelib.tenancy import iso


def reconcile_restores(ports: Ports) -> tuple[dict[str, list[int]], list[str]]:
    """Restart stalled restores like stalled cleanups; (sub-batches requeued by cleanup id, ids given up)."""
    settings, repository = ports.settings, ports.cleanups
    requeued: dict[str, list[int]] = {}
    given_up: list[str] = []
    cutoff = iso(ports.clock.now() - timedelta(seconds=settings.reconcile_after_seconds))
    for cleanup in repository.stale_restores(cutoff):
        missing = unrestored(cleanup)
        if not missing:  # counted, but the worker died before settling
            settle_restore(ports, cleanup)
        elif repository.reconcile_count(cleanup) >= settings.reconcile_attempts:
            for number in missing:
                cleanup = count_restore(ports, cleanup, number, 0,
                                        {i: UNRESTORABLE for i in deleted_ids(ports, cleanup, number)}) or cleanup
            given_up.append(cleanup.id)
        else:
            repository.mark_reconciled(cleanup, iso(ports.clock.now()))
            ports.queue.send(restore_messages(cleanup, missing) + _unfinished_deletes(cleanup))
            requeued[cleanup.id] = missing
    return requeued, given_up


def _unfinished_deletes(cleanup: Cleanup) -> list[dict[str, Any]]:
    """The cleanup's batches with a sub-batch begun but never counted: a restore waits on them."""
    unfinished = cleanup.started - cleanup.counted
    return batch_messages(cleanup, sorted({batch_of_sub_batch(n, cleanup.batch_size, cleanup.sub_batch_size)
                                           for n in unfinished}))
