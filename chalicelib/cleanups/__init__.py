"""Cleanups: the resource, its state machine, the batch worker and the reconciler.

Every use case takes a `Ports` first (`chalicelib.bootstrap.ports()` builds the real one).
"""
from chalicelib.cleanups.domain.model import WORKER, Actor, Cleanup
from chalicelib.cleanups.ports import (
    CREATED_AT,
    CleanupEvents,
    CleanupRepository,
    Clock,
    Deletion,
    Listing,
    Ports,
    RecordStore,
    ReportStore,
    Restoration,
    TenantLeases,
    WorkQueue,
)
from chalicelib.cleanups.restore.worker import restore_batch
from chalicelib.cleanups.service_layer.reconciler import ReconcileReport, reconcile
from chalicelib.cleanups.service_layer.report import finish as finish_report
from chalicelib.cleanups.service_layer.retry import retried_cleanup
from chalicelib.cleanups.service_layer.selection import continue_selection
from chalicelib.cleanups.service_layer.services import (
    create_cleanup,
    delete_cleanup,
    get_cleanup,
    interrupt_cleanup,
    list_cleanups,
    update_cleanup,
)
from chalicelib.cleanups.service_layer.worker import process_batch

__all__ = [
    "CREATED_AT", "WORKER", "Actor", "Cleanup", "CleanupEvents", "CleanupRepository", "Clock", "Deletion", "Listing",
    "Ports", "ReconcileReport", "RecordStore", "ReportStore", "Restoration", "TenantLeases", "WorkQueue",
    "continue_selection", "create_cleanup", "delete_cleanup", "finish_report", "get_cleanup", "interrupt_cleanup",
    "list_cleanups", "process_batch", "reconcile", "restore_batch", "retried_cleanup", "update_cleanup",
]
