"""Cleanups: the resource, its state machine, the batch worker and the reconciler.

Every use case takes a `Ports` first (`chalicelib.bootstrap.ports()` builds the real one).
"""
from chalicelib.cleanups.model import WORKER, Actor, Cleanup
from chalicelib.cleanups.ports import (
    CleanupEvents,
    CleanupRepository,
    Clock,
    Deletion,
    Listing,
    Ports,
    RecordStore,
    Restoration,
    TenantLeases,
    WorkQueue,
)
from chalicelib.cleanups.reconciler import ReconcileReport, reconcile
from chalicelib.cleanups.restore_worker import restore_batch
from chalicelib.cleanups.retry import retried_cleanup
from chalicelib.cleanups.selection import continue_selection
from chalicelib.cleanups.services import (
    create_cleanup,
    delete_cleanup,
    get_cleanup,
    interrupt_cleanup,
    list_cleanups,
    update_cleanup,
)
from chalicelib.cleanups.worker import process_batch

__all__ = [
    "WORKER", "Actor", "Cleanup", "CleanupEvents", "CleanupRepository", "Clock", "Deletion", "Listing", "Ports",
    "ReconcileReport", "RecordStore", "Restoration", "TenantLeases", "WorkQueue", "continue_selection",
    "create_cleanup", "delete_cleanup", "get_cleanup", "interrupt_cleanup", "list_cleanups", "process_batch",
    "reconcile", "restore_batch", "retried_cleanup", "update_cleanup",
]
