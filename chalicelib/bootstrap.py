"""The composition root: which adapter implements which port. Nothing runs at import.

`ports()` is built per request or message: settings are read from the environment then
(Chalice sets a stage's environment only while it handles one), adapters bind tables lazily.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from chalicelib import cleanups, events, records
from chalicelib.cleanups import Deletion, Ports
from chalicelib.cleanups.store import DynamoCleanupRepository
from chalicelib.config import get_settings
from chalicelib.filters import Condition
from chalicelib.messages import Handler, tenant_of
from chalicelib.queue import SqsWorkQueue
from chalicelib.tenancy import Tenant, now


class SystemClock:
    """Implements `chalicelib.cleanups.Clock`: UTC wall time."""

    def now(self) -> datetime:
        return now()


class HostedRecords:
    """Implements `chalicelib.cleanups.RecordStore` on the records package (DynamoDB)."""

    def select_ids(self, tenant: Tenant, resource_type: str, conditions: Sequence[Condition],
                   limit: int) -> list[str]:
        return records.select_ids(tenant, resource_type, conditions, limit=limit)

    def delete_sub_batch(self, tenant: Tenant, resource_type: str, ids: Sequence[str],
                         not_modified_after: str) -> Deletion:
        outcome = records.delete_batch(tenant, resource_type, ids, not_modified_after=not_modified_after,
                                       sub_batch_size=len(ids), keep_going=lambda: True)
        return Deletion(deleted=list(outcome.deleted), errors=dict(outcome.errors))


def ports() -> Ports:
    clock, queue = SystemClock(), SqsWorkQueue()
    return Ports(cleanups=DynamoCleanupRepository(), records=HostedRecords(), queue=queue,
                 events=events.CleanupEventsRecorder(events.DynamoEventLog(), queue, clock), clock=clock,
                 settings=get_settings())


def _cleanup_batch(body: dict[str, Any]) -> None:
    cleanups.process_batch(ports(), tenant_of(body), body["cleanup_id"], int(body["batch"]))


def message_handlers() -> dict[str, Handler]:
    return {"cleanup_batch": _cleanup_batch, "webhook_delivery": events.deliver}
