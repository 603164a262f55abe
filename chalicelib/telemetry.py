"""What the service tells its operators: one structured log line per step, and CloudWatch metrics (EMF).

Every function logs through `logger` (Powertools, JSON on stdout) with the Lambda context and a
correlation id: the API's request id; on the worker, the cleanup id (with the batch number).
Metrics are embedded in the log as EMF under `NAMESPACE`, dimension `service`, and flushed once
per invocation by `invocation`, the middleware app.py registers for every event type. Use cases
call the helpers below, one line at each step; the metric names live only here.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from chalicelib.tenancy import Tenant


class Cleanup(Protocol):
    """What a log line reads of a cleanup (`chalicelib.cleanups.Cleanup`)."""

    @property
    def id(self) -> str: ...
    @property
    def tenant(self) -> Tenant: ...
    @property
    def resource_type(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def records_count(self) -> int: ...
    @property
    def batch_count(self) -> int: ...
    @property
    def processed_count(self) -> int: ...
    @property
    def errors_count(self) -> int: ...


class ReconcileReport(Protocol):
    """What the reconciler's log lines read of its report (`chalicelib.cleanups.ReconcileReport`)."""

    @property
    def requeued(self) -> dict[str, list[int]]: ...
    @property
    def given_up(self) -> list[str]: ...

SERVICE = "cleanups"
NAMESPACE = "Cleanups"
RECORDS_DELETED = "RecordsDeleted"
RECORD_ERRORS = "RecordErrors"
SUB_BATCH_DURATION = "SubBatchDuration"
CLEANUPS_CREATED = "CleanupsCreated"
CLEANUPS_FINISHED = {"completed": "CleanupsCompleted", "interrupted": "CleanupsInterrupted"}
CLEANUPS_REQUEUED = "CleanupsRequeued"
CLEANUPS_GIVEN_UP = "CleanupsGivenUp"  # the template's ReconcilerGaveUpAlarm watches it
WEBHOOK_FAILURES = "WebhookFailures"
# A schedule's runs by outcome; the template's ScheduleRunsFailedAlarm watches the failed ones.
SCHEDULE_RUNS = {"created": "ScheduleRunsCreated", "skipped_active": "ScheduleRunsSkipped",
                 "skipped_over_limit": "ScheduleRunsSkipped", "failed": "ScheduleRunsFailed"}

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)


def invocation(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Chalice middleware: fresh log keys with the Lambda context, then the metrics of this invocation."""
    logger.thread_safe_clear_keys()
    context = getattr(event, "lambda_context", None) or getattr(event, "context", None)
    handle = (logger.inject_lambda_context(lambda _event, _context: get_response(event), clear_state=True)
              if context is not None else (lambda _event, _context: get_response(event)))
    try:
        return handle({}, context)
    finally:
        flush()


def flush() -> None:
    """Print the metrics recorded so far as one EMF blob (none when there are none)."""
    if metrics.metric_set:
        metrics.flush_metrics()


def message(message_id: str, kind: str) -> None:
    """A queue message begins: the previous message's keys go (keys are per thread: the local pollers share one)."""
    logger.thread_safe_clear_keys()
    logger.thread_safe_append_keys(message_id=message_id, kind=kind)


def correlate(correlation_id: str, **keys: Any) -> None:
    """Every following line of this request or message carries `correlation_id` and `keys`."""
    logger.thread_safe_append_keys(correlation_id=correlation_id, **keys)


def created(cleanup: Cleanup) -> None:
    logger.info("Cleanup created", extra=_about(cleanup, records_count=cleanup.records_count,
                                                  batch_count=cleanup.batch_count))
    metrics.add_metric(name=CLEANUPS_CREATED, unit=MetricUnit.Count, value=1)
    _finished(cleanup)  # an empty selection completes at once


def transitioned(before: Cleanup, after: Cleanup) -> None:
    logger.info("Cleanup transitioned", extra=_about(after, from_status=before.status,
                                                       processed_count=after.processed_count,
                                                       errors_count=after.errors_count))
    _finished(after)


def batch_begun(cleanup: Cleanup, batch: int, records: int) -> None:
    logger.info("Batch begun", extra=_about(cleanup, batch=batch, records=records))


def batch_given_back(cleanup: Cleanup, batch: int, delay_seconds: int) -> None:
    """A throttled batch's message sent again, delayed: its next slot was further than a worker waits."""
    logger.info("Batch given back", extra=_about(cleanup, batch=batch, delay_seconds=delay_seconds))


def batch_waits_turn(cleanup: Cleanup, batch: int, delay_seconds: int) -> None:
    """A batch's message sent again, delayed: its tenant holds every worker it may (the fairness gate)."""
    logger.info("Batch waits its tenant's turn", extra=_about(cleanup, batch=batch, delay_seconds=delay_seconds))


def sub_batch_counted(cleanup: Cleanup, number: int, deleted: int, errors: int) -> None:
    """A sub-batch's outcome entered the counts (once: a redelivery that counts nothing reports nothing)."""
    logger.info("Sub-batch counted", extra=_about(cleanup, sub_batch=number, deleted=deleted, errors=errors))
    metrics.add_metric(name=RECORDS_DELETED, unit=MetricUnit.Count, value=deleted)
    metrics.add_metric(name=RECORD_ERRORS, unit=MetricUnit.Count, value=errors)


@contextmanager
def sub_batch_timed(cleanup_id: str, number: int) -> Iterator[None]:
    """Time a sub-batch's archive and delete (one that raises is not timed: the message fails instead)."""
    started = time.perf_counter()
    yield
    elapsed = (time.perf_counter() - started) * 1000
    logger.info("Sub-batch deleted", extra={"cleanup_id": cleanup_id, "sub_batch": number,
                                             "duration_ms": round(elapsed, 1)})
    metrics.add_metric(name=SUB_BATCH_DURATION, unit=MetricUnit.Milliseconds, value=elapsed)


def reconciled(report: ReconcileReport) -> None:
    """The reconciler's run: each intervention, then a summary; giving up is what the operator must see."""
    for cleanup_id, batches in report.requeued.items():
        logger.info("Cleanup requeued", extra={"cleanup_id": cleanup_id, "batches": batches})
    for cleanup_id in report.given_up:
        logger.error("Cleanup given up: its remaining records were counted as errors",
                     extra={"cleanup_id": cleanup_id})
    logger.info("Reconciled", extra={"requeued": len(report.requeued), "given_up": len(report.given_up)})
    metrics.add_metric(name=CLEANUPS_REQUEUED, unit=MetricUnit.Count, value=len(report.requeued))
    metrics.add_metric(name=CLEANUPS_GIVEN_UP, unit=MetricUnit.Count, value=len(report.given_up))


class Schedule(Protocol):
    """What a log line reads of a schedule (`chalicelib.schedules.Schedule`)."""

    @property
    def id(self) -> str: ...
    @property
    def tenant(self) -> Tenant: ...
    @property
    def next_run_at(self) -> str | None: ...


def schedule_ran(schedule: Schedule, outcome: str, cleanup_id: str | None, reason: str | None) -> None:
    """A schedule's run ended (once per run: a runner that lost its lease reports nothing)."""
    extra = {"schedule_id": schedule.id, "organization_id": schedule.tenant.organization_id,
             "mode": schedule.tenant.mode, "outcome": outcome, "cleanup_id": cleanup_id, "reason": reason,
             "next_run_at": schedule.next_run_at}
    if outcome == "failed":
        logger.error("Schedule run failed", extra=extra)
    else:
        logger.info("Schedule ran", extra=extra)
    metrics.add_metric(name=SCHEDULE_RUNS[outcome], unit=MetricUnit.Count, value=1)


def previews_resent(pages: dict[str, int]) -> None:
    """The reconciler's stalled previews: the page each was sent again."""
    for preview_id, page in pages.items():
        logger.info("Preview page sent again", extra={"preview_id": preview_id, "page": page})


def webhook_failed(webhook_id: str, event_id: str, response_code: str | None, attempt: int) -> None:
    logger.warning("Webhook delivery failed", extra={"webhook_id": webhook_id, "event_id": event_id,
                                                     "response_code": response_code, "attempt": attempt})
    metrics.add_metric(name=WEBHOOK_FAILURES, unit=MetricUnit.Count, value=1)


def _finished(cleanup: Cleanup) -> None:
    name = CLEANUPS_FINISHED.get(cleanup.status)
    if name is not None:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)


def _about(cleanup: Cleanup, **details: Any) -> dict[str, Any]:
    return {"cleanup_id": cleanup.id, "organization_id": cleanup.tenant.organization_id,
            "mode": cleanup.tenant.mode, "resource_type": cleanup.resource_type, "status": cleanup.status,
            **details}
