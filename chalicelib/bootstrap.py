"""The composition root: which adapter implements which port. Nothing runs at import.

`ports()` is built per request or message: settings are read from the environment then
(Chalice sets a stage's environment only while it handles one), adapters bind tables lazily.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from chalicelib import cleanups, events, previews, records, telemetry
from chalicelib.cleanups import Deletion, Ports, Restoration
from chalicelib.cleanups.adapters.lease_store import DynamoTenantLeases
from chalicelib.cleanups.adapters.store import DynamoCleanupRepository
from chalicelib.config import get_settings
from chalicelib.filters import Condition
from chalicelib.idempotency.store import DynamoClaims
from chalicelib.messages import Handler, tenant_of
from chalicelib.previews.store import DynamoPreviewRepository
from chalicelib.queue import SqsWorkQueue
from chalicelib.tenancy import Tenant, now


class SystemClock:
    """Implements `chalicelib.cleanups.Clock`: UTC wall time."""

    def now(self) -> datetime:
        return now()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class HostedRecords:
    """Implements `chalicelib.cleanups.RecordStore` on the records package (DynamoDB, S3 for the archive)."""

    def __init__(self, archive: records.Archive | None) -> None:
        self.archive = archive  # None: deletes are not archived, and cannot be restored

    def select_ids(self, tenant: Tenant, resource_type: str, conditions: Sequence[Condition],
                   limit: int) -> list[str]:
        return records.select_ids(tenant, resource_type, conditions, limit=limit)

    def select_page(self, tenant: Tenant, resource_type: str, conditions: Sequence[Condition], after: str | None,
                    size: int) -> tuple[list[str], bool]:
        return records.select_page(tenant, resource_type, conditions, after=after, size=size)

    def existing_ids(self, tenant: Tenant, resource_type: str, ids: Sequence[str]) -> list[str]:
        return records.existing_ids(tenant, resource_type, ids)

    def delete_sub_batch(self, tenant: Tenant, resource_type: str, ids: Sequence[str], *,
                         not_modified_after: str, cleanup_id: str, number: int) -> Deletion:
        key = records.archive_key(tenant, cleanup_id, number) if self.archive is not None else None
        with telemetry.sub_batch_timed(cleanup_id, number):
            outcome = records.delete_batch(tenant, resource_type, ids, not_modified_after=not_modified_after,
                                           archive=self.archive, archive_key=key)
        return Deletion(deleted=list(outcome.deleted), errors=dict(outcome.errors))

    def restore_sub_batch(self, tenant: Tenant, cleanup_id: str, number: int) -> Restoration:
        if self.archive is None:
            return Restoration(archived=False)
        try:
            outcome = records.restore_batch(tenant, self.archive, records.archive_key(tenant, cleanup_id, number))
        except records.ArchiveMissingError:
            return Restoration(archived=False)
        return Restoration(restored=list(outcome.restored), errors=dict(outcome.errors))


class RecordsPreviewer:
    """Implements `chalicelib.previews.RecordsPreviewer` on the records package."""

    def preview(self, tenant: Tenant, resource_type: str, conditions: Sequence[Condition], *, limit: int,
                sample_size: int) -> previews.Selection:
        found = records.preview(tenant, resource_type, conditions, limit=limit, sample_size=sample_size)
        return previews.Selection(ids=found.ids, sample=found.sample, associated=found.associated)


def preview_ports() -> previews.Ports:
    return previews.Ports(previews=DynamoPreviewRepository(), records=RecordsPreviewer(), clock=SystemClock(),
                          settings=get_settings())


def ports() -> Ports:
    clock, queue, settings = SystemClock(), SqsWorkQueue(), get_settings()
    archive = records.S3Archive() if settings.archive_deletes else None
    repository = DynamoCleanupRepository(events.add_recorded, events.expire_recorded)
    return Ports(cleanups=repository, records=HostedRecords(archive), queue=queue,
                 events=events.CleanupEventsRecorder(events.DynamoEventLog(), queue, clock), clock=clock,
                 settings=settings, leases=DynamoTenantLeases())


def claims() -> DynamoClaims:
    """The idempotency claims store (`chalicelib.idempotency.ClaimStore`)."""
    return DynamoClaims()


def _cleanup_batch(body: dict[str, Any]) -> None:
    telemetry.correlate(body["cleanup_id"], batch=body["batch"])
    cleanups.process_batch(ports(), tenant_of(body), body["cleanup_id"], int(body["batch"]))


def _cleanup_selection(body: dict[str, Any]) -> None:
    telemetry.correlate(body["cleanup_id"], selection_page=body["page"])
    cleanups.continue_selection(ports(), tenant_of(body), body["cleanup_id"], int(body["page"]))


def _restore_batch(body: dict[str, Any]) -> None:
    cleanups.restore_batch(ports(), tenant_of(body), body["cleanup_id"], int(body["sub_batch"]))


def message_handlers() -> dict[str, Handler]:
    return {"cleanup_batch": _cleanup_batch, "cleanup_selection": _cleanup_selection, "restore_batch": _restore_batch,
            "webhook_delivery": events.deliver}
