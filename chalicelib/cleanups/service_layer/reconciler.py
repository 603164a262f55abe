"""The reconciler: no cleanup stays pending or in progress forever when messages are lost.

A cleanup without progress for RECONCILE_AFTER_SECONDS has its uncounted batches
enqueued again (duplicates are harmless: counting is idempotent). After
RECONCILE_ATTEMPTS attempts without progress, its remaining records are counted
as errors, which settles it (completed, or interrupted by the error budget).
A large cleanup still selecting has its next page's message sent again instead
(`chalicelib.cleanups.service_layer.selection`), and is interrupted after as many attempts.

A cleanup whose interrupt was asked for is interrupted at once, its in-flight batches sent again.
It also empties the events' outbox: an event committed with its write but whose
dispatcher died or failed (`ports.events.redispatch`) is dispatched again.
Stalled restores are restarted the same way (`chalicelib.cleanups.restore.reconciler`), and a finished
cleanup's report unwritten past as long is asked again, as many times at most (`unreported`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from chalicelib.cleanups.domain.model import Cleanup, batch_of_sub_batch, sub_batches_of
from chalicelib.cleanups.ports import Ports
from chalicelib.cleanups.restore.reconciler import reconcile_restores
from chalicelib.cleanups.service_layer import report as reports
from chalicelib.cleanups.service_layer.report import Pending, error_rows, write_part
from chalicelib.cleanups.service_layer.selection import give_up, selection_message
from chalicelib.cleanups.service_layer.services import batch_messages
from chalicelib.cleanups.service_layer.transitions import conclude_interrupt
from chalicelib.cleanups.service_layer.worker import count, settle
from chalicelib.tenancy import iso

UNPROCESSABLE = {"base": ["could not be processed: its batch failed on every delivery"]}


@dataclass
class ReconcileReport:
    requeued: dict[str, list[int]] = field(default_factory=dict)  # cleanup id -> batch numbers
    given_up: list[str] = field(default_factory=list)
    redispatched: list[str] = field(default_factory=list)  # event ids
    restores_requeued: dict[str, list[int]] = field(default_factory=dict)  # cleanup id -> sub-batch numbers
    restores_given_up: list[str] = field(default_factory=list)
    reselected: dict[str, int] = field(default_factory=dict)  # cleanup id -> selection page sent again
    reports_asked: list[str] = field(default_factory=list)  # cleanup ids whose report was asked for again
    reports_given_up: list[str] = field(default_factory=list)


def _batches_of(cleanup: Cleanup, sub_batches: set[int] | frozenset[int]) -> list[int]:
    """The batches holding `sub_batches`, in order: what a resent message carries."""
    return sorted({batch_of_sub_batch(n, cleanup.batch_size, cleanup.sub_batch_size) for n in sub_batches})


def _uncounted_batches(cleanup: Cleanup) -> list[int]:
    return _batches_of(cleanup, set(range(cleanup.sub_batch_count)) - cleanup.counted)


def _give_up(ports: Ports, cleanup: Cleanup) -> None:
    pending = Pending()
    try:
        for batch in _uncounted_batches(cleanup):
            ids = ports.cleanups.batch_ids(cleanup.tenant, cleanup.id, batch)
            for number, sub_ids in sub_batches_of(batch, ids, cleanup.batch_size, cleanup.sub_batch_size):
                if number not in cleanup.counted:
                    errors = {i: UNPROCESSABLE for i in sub_ids}
                    cleanup = count(ports, cleanup, number, 0, errors, None, pending, error_rows(errors)) or cleanup
    finally:
        write_part(ports, cleanup, pending)


def _conclude_interrupt(ports: Ports, cleanup: Cleanup, report: ReconcileReport) -> None:
    """Interrupted now; the batches of its in-flight sub-batches sent again, so that their counts land."""
    batches = _batches_of(cleanup, cleanup.in_flight)
    conclude_interrupt(ports, cleanup)
    if batches:
        ports.queue.send(batch_messages(cleanup, batches))
        report.requeued[cleanup.id] = batches


def _reselect(ports: Ports, cleanup: Cleanup, report: ReconcileReport) -> None:
    """A stalled selection: its next page again (a duplicate is harmless), or interrupted past the attempts."""
    if ports.cleanups.reconcile_count(cleanup) >= ports.settings.reconcile_attempts:
        give_up(ports, cleanup)
        report.given_up.append(cleanup.id)
        return
    ports.cleanups.mark_reconciled(cleanup, iso(ports.clock.now()))
    ports.queue.send([selection_message(cleanup, cleanup.selection_pages)])
    report.reselected[cleanup.id] = cleanup.selection_pages


def _ask_report(ports: Ports, cleanup: Cleanup, report: ReconcileReport) -> None:
    """A finished cleanup without its report: asked again (its late counts resent first, if some are missing),
    at most RECONCILE_ATTEMPTS times; one noted written meanwhile (a restore's end put it back) leaves the list."""
    if cleanup.report_written_at is not None:
        ports.cleanups.mark_report_written(cleanup.tenant, cleanup.id, cleanup.report_written_at)
        return
    if ports.cleanups.reconcile_count(cleanup) >= ports.settings.reconcile_attempts:
        ports.cleanups.drop_report_request(cleanup)
        report.reports_given_up.append(cleanup.id)
        return
    ports.cleanups.mark_reconciled(cleanup, iso(ports.clock.now()))
    if reports.due(cleanup):
        reports.request(ports, cleanup)
        report.reports_asked.append(cleanup.id)
    else:  # a count lost after the interrupt: its batch again, whose count asks for the report
        batches = _batches_of(cleanup, cleanup.in_flight)
        ports.queue.send(batch_messages(cleanup, batches))
        report.requeued[cleanup.id] = batches


def reconcile(ports: Ports) -> ReconcileReport:
    settings, repository = ports.settings, ports.cleanups
    report = ReconcileReport(redispatched=ports.events.redispatch(ports.clock.now()))
    cutoff = iso(ports.clock.now() - timedelta(seconds=settings.reconcile_after_seconds))
    for cleanup in repository.stale(cutoff):
        if cleanup.interrupt_request is not None:  # whoever asked died, or its in-flight workers did
            _conclude_interrupt(ports, cleanup, report)
            continue
        if cleanup.selecting:  # before the counts: a snapshot still growing is not fully counted
            _reselect(ports, cleanup, report)
            continue
        if cleanup.fully_counted:  # counted, but the worker died before settling
            settle(ports, cleanup)
            continue
        if repository.reconcile_count(cleanup) >= settings.reconcile_attempts:
            _give_up(ports, cleanup)
            report.given_up.append(cleanup.id)
            continue
        batches = _uncounted_batches(cleanup) or [0]
        repository.mark_reconciled(cleanup, iso(ports.clock.now()))
        ports.queue.send(batch_messages(cleanup, batches))
        report.requeued[cleanup.id] = batches
    for cleanup in repository.unreported(cutoff):
        _ask_report(ports, cleanup, report)
    report.restores_requeued, report.restores_given_up = reconcile_restores(ports)
    return report
