"""Cleanups: the resource, its state machine, the batch worker and the reconciler."""
from chalicelib.cleanups.model import WORKER, Actor, Cleanup
from chalicelib.cleanups.reconciler import ReconcileReport, reconcile
from chalicelib.cleanups.services import (
    CleanupEvents,
    create_cleanup,
    delete_cleanup,
    get_cleanup,
    interrupt_cleanup,
    list_cleanups,
    update_cleanup,
)
from chalicelib.cleanups.worker import process_batch

__all__ = [
    "WORKER", "Actor", "Cleanup", "CleanupEvents", "ReconcileReport", "create_cleanup", "delete_cleanup",
    "get_cleanup", "interrupt_cleanup", "list_cleanups", "process_batch", "reconcile", "update_cleanup",
]
