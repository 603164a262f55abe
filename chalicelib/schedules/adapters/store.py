"""The `ScheduleRepository` port on DynamoDB (PynamoDB): schedules in the cleanups table.

A tenant's schedules are the partition `<tenant>#schedules`, one item each, written whole
under a condition on `version`; a create and a delete move the tenant's count in the same
transaction (the 100-schedule limit is a conditional ADD). An enabled schedule also has a
due marker in the one partition `schedules#due`, sorted by `<next_run_at>#<tenant>#<id>` and
moved in the same transaction as the schedule: one consistent Query lists every tenant's
due schedules, with no index and no scan. Why: docs/DESIGN.md#schedules
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from chalicelib import dynamo
from chalicelib.dynamo import ServiceItem, TenantItem, Transaction, to_domain, to_item
from chalicelib.events import Outgoing
from chalicelib.exceptions import RecordNotFoundError
from chalicelib.idempotency import Claim
from chalicelib.idempotency.store import CLAIM, add_claim, check_claim
from chalicelib.schedules.domain.model import Schedule
from chalicelib.schedules.exceptions import ScheduleLimitError
from chalicelib.tenancy import Tenant

AddOutgoing = Callable[[Transaction, Sequence[Outgoing]], None]  # `chalicelib.events.adapters.store.add_outgoing`
DUE_PARTITION = "schedules#due"  # every tenant's enabled schedules, by due time


class DueItem(TenantItem):
    """An enabled schedule's due marker: sk `<next_run_at>#<tenant key>#<schedule id>`, so sk order is due order."""

    schedule_id = UnicodeAttribute()


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
    created_index = dynamo.CreatedIndex()


class CountItem(ServiceItem):
    """How many schedules a tenant has: the limit is a conditional ADD on `total`."""

    total = NumberAttribute(default=0)


_schedules = functools.partial(dynamo.in_cleanups_table, ScheduleItem)
_counts = functools.partial(dynamo.in_cleanups_table, CountItem)
_markers = functools.partial(dynamo.in_cleanups_table, DueItem)


def _partition(tenant: Tenant) -> str:
    return f"{tenant.key}#schedules"


def _count_key(tenant: Tenant) -> tuple[str, str]:
    return f"{tenant.key}#schedule-count", "schedules"


def _to_item(schedule: Schedule) -> ScheduleItem:
    return to_item(_schedules(), schedule, pk=_partition(schedule.tenant), sk=schedule.id)


def _marker(schedule: Schedule) -> DueItem | None:
    """The schedule's due marker; None while it has no next run (paused)."""
    if schedule.next_run_at is None:
        return None
    tenant = schedule.tenant
    return _markers()(DUE_PARTITION, f"{schedule.next_run_at}#{tenant.key}#{schedule.id}",
                      organization_id=tenant.organization_id, mode=tenant.mode, schedule_id=schedule.id)


def _move_marker(transaction: Transaction, before: Schedule | None, after: Schedule | None) -> None:
    """In the schedule's own write: its marker moved from `before`'s due time to `after`'s (None: none)."""
    was, now = (_marker(s) if s is not None else None for s in (before, after))
    if was is not None and (now is None or was.sk != now.sk):
        transaction.delete(was)
    if now is not None and (was is None or was.sk != now.sk):
        transaction.put(now)


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
        _move_marker(transaction, None, schedule)
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

    def page(self, tenant: Tenant, offset: int, limit: int, newest_first: bool) -> tuple[list[Schedule], int]:
        model = _schedules()
        found = dynamo.created_page(model, model.created_index, _partition(tenant), offset, limit, newest_first)
        try:
            total = int(_counts().get(*_count_key(tenant), consistent_read=True).total or 0)
        except DoesNotExist:
            total = 0
        return [_to_domain(item) for item in found], total

    def replace(self, before: Schedule, after: Schedule, outbox: Sequence[Outgoing] = ()) -> bool:
        model = _schedules()
        transaction = Transaction()
        transaction.put(_to_item(after), condition=model.version == before.version, name="schedule")
        _move_marker(transaction, before, after)
        self.add_outgoing(transaction, outbox)
        return not transaction.commit()

    def delete(self, schedule: Schedule) -> bool:
        model, counts = _schedules(), _counts()
        transaction = Transaction()
        transaction.delete(model(_partition(schedule.tenant), schedule.id), condition=model.sk.exists(),
                           name="schedule")
        _move_marker(transaction, schedule, None)
        transaction.update(counts(*_count_key(schedule.tenant)), [counts.total.add(-1)], name="count")
        return not transaction.commit()

    def due(self, moment: str) -> Iterator[Schedule]:
        """The markers due by `moment` (sk below `<moment>$`: `$` sorts right after `#`), each schedule read by key."""
        markers = _markers()
        for marker in markers.query(DUE_PARTITION, markers.sk < f"{moment}$", consistent_read=True):
            try:
                yield self.get(Tenant(marker.organization_id, marker.mode), marker.schedule_id)
            except RecordNotFoundError:
                continue  # deleted since the query read its marker
