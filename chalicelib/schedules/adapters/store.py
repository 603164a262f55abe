"""The `ScheduleRepository` port on DynamoDB (PynamoDB): schedules in the cleanups table.

A tenant's schedules are the partition `<tenant>#schedules`, one item each, written whole
under a condition on `version`; a create and a delete move the tenant's count in the same
transaction (the 100-schedule limit is a conditional ADD). An enabled schedule carries
`due`, so the sparse `due` index (`due` + `next_run_at`) lists every tenant's due schedules
by key. Why: docs/DESIGN.md#schedules
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib import dynamo
from chalicelib.dynamo import ServiceItem, Transaction, to_domain, to_item
from chalicelib.events import Outgoing
from chalicelib.idempotency import Claim
from chalicelib.idempotency.store import CLAIM, add_claim, check_claim
from chalicelib.schedules.domain.model import Schedule
from chalicelib.schedules.exceptions import ScheduleLimitError
from chalicelib.tenancy import Tenant

AddOutgoing = Callable[[Transaction, Sequence[Outgoing]], None]  # `chalicelib.events.adapters.store.add_outgoing`
DUE = "schedule"  # the `due` index's one key: every enabled schedule


class DueIndex(GlobalSecondaryIndex[Any]):
    """The cleanups table's `due` index: enabled schedules of every tenant, earliest `next_run_at` first."""

    class Meta:
        index_name = "due"
        projection = AllProjection()

    due = UnicodeAttribute(hash_key=True)
    next_run_at = UnicodeAttribute(range_key=True)


class _RunState:
    """The runs so far, and the run under way (`chalicelib.schedules.service_layer.runner`)."""

    next_run_at = UnicodeAttribute(null=True)
    last_run_at = UnicodeAttribute(null=True)
    last_run_outcome = UnicodeAttribute(null=True)
    last_cleanup_id = UnicodeAttribute(null=True)
    runs_count = NumberAttribute(default=0)
    run_token = UnicodeAttribute(null=True)
    run_lease_until = NumberAttribute(null=True)
    run_due_at = UnicodeAttribute(null=True)


class ScheduleItem(dynamo.ResourceItem, dynamo.Selected, _RunState):
    name = UnicodeAttribute()
    cron = UnicodeAttribute()
    enabled = BooleanAttribute(default=True)
    max_records_per_run = NumberAttribute()
    max_records_per_second = NumberAttribute(null=True)
    version = NumberAttribute(default=0)
    due = UnicodeAttribute(null=True)  # DUE while `next_run_at` is set: only those are in the `due` index
    due_index = DueIndex()


class CountItem(ServiceItem):
    """How many schedules a tenant has: the limit is a conditional ADD on `total`."""

    total = NumberAttribute(default=0)


_schedules = functools.partial(dynamo.in_cleanups_table, ScheduleItem)
_counts = functools.partial(dynamo.in_cleanups_table, CountItem)


def _partition(tenant: Tenant) -> str:
    return f"{tenant.key}#schedules"


def _count_key(tenant: Tenant) -> tuple[str, str]:
    return f"{tenant.key}#schedule-count", "schedules"


def _to_item(schedule: Schedule) -> ScheduleItem:
    return to_item(_schedules(), schedule, pk=_partition(schedule.tenant), sk=schedule.id,
                   due=DUE if schedule.next_run_at is not None else None)


def _to_domain(item: ScheduleItem) -> Schedule:
    return to_domain(Schedule, item, id=item.sk)


class DynamoScheduleRepository:
    """Implements `chalicelib.schedules.ports.ScheduleRepository`; stateless (the table is bound per call)."""

    def __init__(self, add_outgoing: AddOutgoing) -> None:
        self.add_outgoing = add_outgoing

    def save_new(self, schedule: Schedule, limit: int, claim: Claim | None = None) -> None:
        counts = _counts()
        transaction = Transaction()
        transaction.put(_to_item(schedule), condition=_schedules().sk.does_not_exist(), name="schedule")
        transaction.update(counts(*_count_key(schedule.tenant)), [counts.total.add(1)],
                           condition=counts.total.does_not_exist() | (counts.total < limit), name="count")
        if claim is not None:
            add_claim(transaction, claim, schedule.id)
        refused = transaction.commit()
        if CLAIM in refused:
            check_claim(refused)
        if "count" in refused:
            raise ScheduleLimitError(limit)
        if refused:
            raise RuntimeError(f"schedule {schedule.id} exists")  # a fresh random id: never in practice

    def get(self, tenant: Tenant, schedule_id: str) -> Schedule:
        item = dynamo.get_item(_schedules(), _partition(tenant), schedule_id, f"No cleanup schedule {schedule_id}")
        return _to_domain(item)

    def list_for(self, tenant: Tenant) -> list[Schedule]:
        return [_to_domain(item) for item in dynamo.partition_items(_schedules(), _partition(tenant))]

    def replace(self, before: Schedule, after: Schedule, outbox: Sequence[Outgoing] = ()) -> bool:
        model = _schedules()
        transaction = Transaction()
        transaction.put(_to_item(after), condition=model.version == before.version, name="schedule")
        self.add_outgoing(transaction, outbox)
        return not transaction.commit()

    def delete(self, schedule: Schedule) -> bool:
        model, counts = _schedules(), _counts()
        transaction = Transaction()
        transaction.delete(model(_partition(schedule.tenant), schedule.id), condition=model.sk.exists(),
                           name="schedule")
        transaction.update(counts(*_count_key(schedule.tenant)), [counts.total.add(-1)], name="count")
        return not transaction.commit()

    def due(self, moment: str) -> Iterator[Schedule]:
        model = _schedules()
        for item in model.due_index.query(DUE, model.next_run_at <= moment):
            yield _to_domain(item)
