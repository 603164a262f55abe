"""The composition root: which adapter implements which port. Nothing runs at import.

`ports()` is built per request or message: settings are read from the environment then
(Chalice sets a stage's environment only while it handles one), adapters bind tables lazily.
"""
from __future__ import annotations

from chalicelib import events, previews, records, schedules
from chalicelib.cleanups import Ports
from chalicelib.cleanups.adapters.clock import SystemClock
from chalicelib.cleanups.adapters.lease_store import DynamoTenantLeases
from chalicelib.cleanups.adapters.records import HostedRecords
from chalicelib.cleanups.adapters.report_store import S3ReportStore
from chalicelib.cleanups.adapters.store import DynamoCleanupRepository
from chalicelib.config import get_settings
from chalicelib.idempotency.store import DynamoClaims
from chalicelib.previews.adapters.records import RecordsPreviewer
from chalicelib.previews.store import DynamoPreviewRepository
from chalicelib.queue import SqsWorkQueue
from chalicelib.schedules.adapters.store import DynamoScheduleRepository


def preview_ports() -> previews.Ports:
    return previews.Ports(previews=DynamoPreviewRepository(), records=RecordsPreviewer(records_store()),
                          clock=SystemClock(), settings=get_settings(), queue=SqsWorkQueue(),
                          cleanups=cleanup_repository())


def ports() -> Ports:
    clock, queue, settings = SystemClock(), SqsWorkQueue(), get_settings()
    archive = records.S3Archive() if settings.archive_deletes else None
    deletes = records.RecordsStore(concurrency=settings.delete_concurrency)
    return Ports(cleanups=cleanup_repository(), records=HostedRecords(archive, records_store(), deletes), queue=queue,
                 events=events.CleanupEventsRecorder(events.DynamoEventLog(), queue, clock), clock=clock,
                 settings=settings, leases=DynamoTenantLeases(), reports=S3ReportStore(settings.reports_bucket))


def schedule_ports() -> schedules.Ports:
    cleanup_ports = ports()
    outbox = events.CleanupEventsRecorder(events.DynamoEventLog(), cleanup_ports.queue, cleanup_ports.clock)
    return schedules.Ports(schedules=DynamoScheduleRepository(events.add_outgoing), cleanups=cleanup_ports,
                           claims=claims(), outbox=outbox)


def records_store() -> records.RecordsStore:
    """The records table, one call at a time (the hosted records routes, selection, previews, restore)."""
    return records.RecordsStore()


def cleanup_repository() -> DynamoCleanupRepository[events.Recorded]:
    """The cleanups repository alone (the events reads check a cleanup exists with it)."""
    return DynamoCleanupRepository(events.add_recorded, events.expire_recorded)


def claims() -> DynamoClaims:
    """The idempotency claims store (`chalicelib.idempotency.ClaimStore`)."""
    return DynamoClaims()
