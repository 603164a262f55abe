"""The `CleanupRepository` port on DynamoDB (PynamoDB): cleanups, snapshot batches, active-cleanup slots.

Every state change is one conditional write: the caller whose write wins owns the
transition (and dispatches its events); counts move by atomic ADDs guarded by the set
of sub-batches already counted, so a redelivered batch never counts twice.

Create, transitions, detail updates and delete are each one TransactWriteItems: the
cleanup's conditional write, the items of what it reports (events, versions: added by
the events store, injected as `recorded_items`), and the tenant's slot count: ADD 1
under `active_count < limit` when a cleanup is created active, ADD -1 when a transition
leaves the active states. The count never passes the limit and never drifts. The same
transactions keep the tenant's list counts (`count_store`) and stamp `expires_at` (DynamoDB
TTL, `retention`) on what a finished cleanup leaves, and a schedule's run links (`run_store`); list pages
are read by key (`page`), newest or oldest first from the `created_at` index (`dynamo.created_page`).
"""
from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    NumberSetAttribute,
    UnicodeAttribute,
)
from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib import dynamo
from chalicelib.cleanups.adapters import count_store, filters_store, run_store
from chalicelib.cleanups.domain.model import ACTIVE, PENDING, RESTORE_ACTIVE, TERMINAL, Cleanup
from chalicelib.cleanups.domain.pacing import Pace
from chalicelib.cleanups.domain.retention import expires_at, written_expiry
from chalicelib.cleanups.exceptions import CleanupLimitError, ThrottleFinishedError
from chalicelib.cleanups.ports import CREATED_AT, Listing, Recorded, Sample, Start
from chalicelib.config import get_settings
from chalicelib.dynamo import ServiceItem, Transaction, to_domain, to_item, written
from chalicelib.exceptions import RecordNotFoundError
from chalicelib.filters.size import stored_apart
from chalicelib.idempotency import Claim
from chalicelib.idempotency.store import CLAIM, add_claim, check_claim
from chalicelib.tenancy import Tenant

RecordedItems = Callable[[Transaction, Recorded], None]  # `chalicelib.events.adapters.store.add_recorded`
ExpireRecorded = Callable[[Tenant, str, int], None]  # `chalicelib.events.adapters.store.expire_recorded`


# A tenant's cleanups of one status in id order: `by_status` is `<status>#<id>`.
StatusIndex = dynamo.local_index("by_status")
# A tenant's cleanups of one reference in id order (only those with one): see `_reference_key`.
ReferenceIndex = dynamo.local_index("by_reference")


class _RestoreState:
    """A cleanup's restore (`chalicelib.cleanups.restore_*`): its status, counts and sub-batches (its
    errors log is on `CleanupItem`: a map attribute belongs to the model class itself)."""

    restore_status = UnicodeAttribute(null=True)
    restored_count = NumberAttribute(null=True)
    restore_errors_count = NumberAttribute(null=True)
    restore_started = NumberSetAttribute(null=True)
    restore_counted = NumberSetAttribute(null=True)


class _PacingState:
    """The throttle's next slot and the progress samples (`chalicelib.cleanups.domain.pacing`, `progress`)."""

    max_records_per_second = NumberAttribute(null=True)
    paced_until = NumberAttribute(null=True)
    counted_records = NumberAttribute(null=True)


class _SelectionState:
    """Selection continued in the worker, page by page (`chalicelib.cleanups.service_layer.selection`)."""

    selecting = BooleanAttribute(null=True)
    selection_cursor = UnicodeAttribute(null=True)
    selection_pages = NumberAttribute(default=0)
    expected_records_count = NumberAttribute(null=True)
    records_limit = NumberAttribute(null=True)  # a schedule's run stops past its own limit
    selection_lease = UnicodeAttribute(null=True)  # the token of the worker selecting the next page
    selection_lease_until = NumberAttribute(null=True)  # epoch seconds


class CleanupItem(dynamo.ResourceItem, dynamo.Selected, _RestoreState, _PacingState, _SelectionState):
    """A cleanup; only an active cleanup (`1`), an active restore (`restore`) or a finished cleanup whose report
    is not written yet (`report`) carries `active`: the reconciler's work lists on the `active` index."""

    status = UnicodeAttribute()
    records_count = NumberAttribute(default=0)
    processed_count = NumberAttribute(default=0)
    errors_count = NumberAttribute(default=0)
    errors_log = MapAttribute()  # type: ignore[var-annotated]
    restore_errors_log = MapAttribute(null=True)  # type: ignore[var-annotated]
    progress_samples = MapAttribute(null=True)  # type: ignore[var-annotated]  # chalicelib.cleanups.domain.progress
    interrupt_request = JSONAttribute(null=True)  # type: ignore[var-annotated]  # model.interrupt_request
    # the snapshot's shape, and which sub-batches a worker began and counted
    batch_size = NumberAttribute(default=1)
    sub_batch_size = NumberAttribute(default=1)
    batch_count = NumberAttribute(default=0)
    sub_batch_count = NumberAttribute(default=0)
    started = NumberSetAttribute(null=True)
    counted = NumberSetAttribute(null=True)
    # when it moved
    started_at = UnicodeAttribute(null=True)
    completed_at = UnicodeAttribute(null=True)
    interrupted_at = UnicodeAttribute(null=True)
    restore_window_days = NumberAttribute(null=True)
    retry_of = UnicodeAttribute(null=True)
    schedule_id = UnicodeAttribute(null=True)
    report_written_at = UnicodeAttribute(null=True)
    # the reconciler's work list, the list indexes' keys, the retention's TTL
    active = UnicodeAttribute(null=True)
    reconcile_count = NumberAttribute(default=0)
    by_status = UnicodeAttribute(null=True)
    by_reference = UnicodeAttribute(null=True)
    expires_at = NumberAttribute(null=True)
    filters_apart = BooleanAttribute(null=True)  # True: `filters` is empty here, kept in `filters_store`
    active_index = dynamo.ActiveIndex()
    created_index = dynamo.CreatedIndex()
    status_index = StatusIndex()
    reference_index = ReferenceIndex()


class BatchItem(ServiceItem):
    """One batch of a cleanup's snapshot: the ids selected at creation."""

    ids = ListAttribute(of=UnicodeAttribute)  # type: ignore[var-annotated]
    expires_at = NumberAttribute(null=True)


class SlotsItem(ServiceItem):
    """How many cleanups a tenant has active: the limit is a conditional ADD on this."""

    # Not `active`: that name is the `active` index's string key.
    active_count = NumberAttribute(default=0)


_cleanups = functools.partial(dynamo.in_cleanups_table, CleanupItem)
_batches = functools.partial(dynamo.in_cleanups_table, BatchItem)
_slots = functools.partial(dynamo.in_cleanups_table, SlotsItem)


RESTORING = "restore"  # `active` of a terminal cleanup whose restore is pending or in progress
REPORTING = "report"  # `active` of a terminal cleanup whose report is not written yet


def _active(cleanup: Cleanup) -> str | None:
    """The cleanup's work list on the `active` index, its restore aside (`restore_transition`)."""
    if cleanup.active:
        return "1"
    return REPORTING if cleanup.report_written_at is None else None


def _set_active(model: type[CleanupItem], value: str | None) -> Action:
    return model.active.remove() if value is None else model.active.set(value)


def _partition(tenant: Tenant) -> str:
    return f"{tenant.key}#cleanups"


def _slots_key(tenant: Tenant) -> tuple[str, str]:
    return f"{tenant.key}#slots", "cleanups"


_snapshot_partition = filters_store.snapshot_partition


def _batch_key(number: int) -> str:
    return f"batch#{number:05d}"


def _status_key(status: str, cleanup_id: str) -> str:
    return f"{status}#{cleanup_id}"


def _reference_key(reference: str | None, cleanup_id: str = "") -> str | None:
    """`<length>:<reference>#<id>`: the length keeps a reference from prefixing a longer one."""
    return None if reference is None else f"{len(reference)}:{reference}#{cleanup_id}"


def _retention() -> int:
    return get_settings().cleanup_retention_days


def _to_domain(item: CleanupItem) -> Cleanup:
    return _to_domains([item])[0]


def _to_domains(items: Sequence[CleanupItem]) -> list[Cleanup]:
    """The cleanups of `items`, their filters read where they are kept apart (at most one read for all)."""
    cleanups = [to_domain(Cleanup, item, id=item.sk) for item in items]
    apart = [cleanup for item, cleanup in zip(items, cleanups, strict=True) if item.filters_apart]
    if apart:
        filters = filters_store.read([(cleanup.tenant, cleanup.id) for cleanup in apart])
        for cleanup in apart:
            cleanup.filters = filters[(cleanup.tenant.key, cleanup.id)]
    return cleanups


def _to_item(cleanup: Cleanup) -> CleanupItem:
    apart = stored_apart(cleanup.filters)
    return to_item(_cleanups(), cleanup, pk=_partition(cleanup.tenant), sk=cleanup.id,
                   active=_active(cleanup), by_status=_status_key(cleanup.status, cleanup.id),
                   by_reference=_reference_key(cleanup.reference, cleanup.id),
                   expires_at=expires_at(cleanup, _retention()),
                   filters={} if apart else cleanup.filters, filters_apart=True if apart else None)


def _snapshot_expiry(cleanup: Cleanup) -> int:
    return written_expiry(cleanup.created_at, max(_retention(), cleanup.restore_window_days))


def _not_found(cleanup_id: str) -> RecordNotFoundError:
    return RecordNotFoundError(f"No cleanup {cleanup_id}")


def _take_slot(transaction: Transaction, tenant: Tenant, limit: int) -> None:
    model = _slots()
    transaction.update(model(*_slots_key(tenant)), [model.active_count.add(1)],
                       condition=model.active_count.does_not_exist() | (model.active_count < limit), name="slots")


def _give_slot_back(transaction: Transaction, tenant: Tenant) -> None:
    model = _slots()
    transaction.update(model(*_slots_key(tenant)), [model.active_count.add(-1)], name="slots")


def _unchanged(attribute: Any, value: Any) -> Any:
    return attribute.does_not_exist() if value is None else attribute == value


def _ids_of(batch: BatchItem | None) -> list[str]:
    return [] if batch is None else [str(i) for i in batch.ids]


def _startable(model: type[CleanupItem], pace: Pace | None) -> Any:
    """A sub-batch may begin: the cleanup is active with no interrupt asked for, its throttle as `pace` planned."""
    condition = model.status.is_in(*sorted(ACTIVE)) & model.interrupt_request.does_not_exist()
    if pace is not None:
        condition &= _unchanged(model.max_records_per_second, pace.rate) & _unchanged(model.paced_until, pace.was)
    return condition


def _paced(model: type[CleanupItem], pace: Pace) -> list[Action]:
    return [] if pace.until is None or pace.until == pace.was else [model.paced_until.set(pace.until)]


def _begin(item: CleanupItem, begun: NumberSetAttribute, number: int, while_: Condition,
           also: Sequence[Action] = ()) -> bool:
    """Add sub-batch `number` to the `begun` set (and do `also`), only `while_` holds (the interrupt check)."""
    return written(lambda: item.update(actions=[begun.add({number}), *also], condition=while_))


@dataclass
class Outcome:
    """What one sub-batch did, for `_count_once`: its counters' ADDs, its errors by id, and when."""

    counts: list[Action]
    errors_log: dict[str, Any]
    updated_at: str


def _count_once(item: CleanupItem, number: int, outcome: Outcome, counted: NumberSetAttribute,
                log: MapAttribute[str, Any], guard: Condition) -> Cleanup | None:
    """Add `outcome` and `number` to `counted` under `guard`, unless counted before; the cleanup after (or None).

    Every count resets `reconcile_count`: the cleanup (or its restore) made progress.
    """
    model = type(item)
    actions = [*outcome.counts, counted.add({number}), model.updated_at.set(outcome.updated_at),
               model.reconcile_count.set(0)]
    actions += [log[record_id].set(entry) for record_id, entry in outcome.errors_log.items()]
    if not written(lambda: item.update(actions=actions, condition=guard & ~counted.contains(number))):
        return None
    return _to_domain(item)


class DynamoCleanupRepository(Generic[Recorded]):
    """Implements `chalicelib.cleanups.ports.CleanupRepository`; stateless (tables are bound per call)."""

    def __init__(self, recorded_items: RecordedItems[Recorded], expire_recorded: ExpireRecorded | None = None) -> None:
        """`expire_recorded`: what a finished cleanup's winner stamps on its earlier events and versions
        (None: they keep the expiry they were written with, which ends the day a one-day run ends)."""
        self.recorded_items = recorded_items
        self.expire_recorded = expire_recorded

    def slots_taken(self, tenant: Tenant) -> int:
        try:
            return int(_slots().get(*_slots_key(tenant), consistent_read=True).active_count or 0)
        except DoesNotExist:
            return 0

    # --- cleanups and snapshots ----------------------------------------------------------------

    def _write_batches(self, cleanup: Cleanup, batches: Sequence[Sequence[str]], first: int = 0) -> None:
        expiry = _snapshot_expiry(cleanup)
        with _batches().batch_write() as writer:
            for number, ids in enumerate(batches, start=first):
                writer.save(_batches()(_snapshot_partition(cleanup.tenant, cleanup.id), _batch_key(number),
                                       ids=list(ids), expires_at=expiry))

    def _delete_batches(self, cleanup: Cleanup, count: int) -> None:
        batches = _batches()
        with batches.batch_write() as writer:
            for number in range(count):
                writer.delete(batches(_snapshot_partition(cleanup.tenant, cleanup.id), _batch_key(number)))

    def save_new(self, cleanup: Cleanup, batches: Sequence[Sequence[str]], recorded: Recorded, limit: int,
                 claim: Claim | None = None) -> None:
        """Snapshot first, then the transaction: a crash in between leaves only unreachable batch items."""
        self._write_batches(cleanup, batches)
        transaction = Transaction()
        transaction.put(_to_item(cleanup), condition=_cleanups().sk.does_not_exist(), name="cleanup")
        if stored_apart(cleanup.filters):
            filters_store.put(transaction, cleanup.tenant, cleanup.id, cleanup.filters, _snapshot_expiry(cleanup))
        if cleanup.active:
            _take_slot(transaction, cleanup.tenant, limit)
        count_store.add(transaction, cleanup, 1)
        run_store.add(transaction, cleanup, _retention())
        if claim is not None:
            add_claim(transaction, claim, cleanup.id)
        self.recorded_items(transaction, recorded)
        refused = transaction.commit()
        if CLAIM in refused:  # a racing request with the same key won: it answers for both
            self._delete_batches(cleanup, len(batches))
            check_claim(refused)
        if "slots" in refused:
            self._delete_batches(cleanup, len(batches))
            raise CleanupLimitError(limit)
        if refused:
            raise RuntimeError(f"cleanup {cleanup.id} exists")  # a fresh random id: never in practice

    def get(self, tenant: Tenant, cleanup_id: str) -> Cleanup:
        return _to_domain(dynamo.get_item(_cleanups(), _partition(tenant), cleanup_id, f"No cleanup {cleanup_id}"))

    def list_for(self, tenant: Tenant) -> list[Cleanup]:
        return _to_domains(dynamo.partition_items(_cleanups(), _partition(tenant)))

    def page(self, tenant: Tenant, listing: Listing) -> tuple[list[Cleanup], int]:
        """At most offset + limit unexpired items read (plus those expired but not yet removed)."""
        model = _cleanups()
        live = model.expires_at.does_not_exist() | (model.expires_at > int(time.time()))
        if listing.by == CREATED_AT:
            return self._created_page(model, tenant, listing, live)
        wanted = listing.offset + listing.limit
        options: dict[str, Any] = {"filter_condition": live, "scan_index_forward": not listing.descending,
                                   "consistent_read": True, "limit": wanted, "page_size": wanted}
        if listing.reference is not None:
            key = model.by_reference.startswith(str(_reference_key(listing.reference)))
            found = model.reference_index.query(_partition(tenant), key, **options)
            # Cleanups sharing a reference are few: counting them reads only those.
            total = model.reference_index.count(_partition(tenant), key, filter_condition=live,
                                                consistent_read=True)
        elif listing.status is not None:
            found = model.status_index.query(_partition(tenant), model.by_status.startswith(f"{listing.status}#"),
                                             **options)
            total = count_store.live_total(tenant, listing.status)
        else:
            found = model.query(_partition(tenant), **options)
            total = count_store.live_total(tenant)
        return _to_domains(list(found)[listing.offset:]), total

    def _created_page(self, model: type[CleanupItem], tenant: Tenant, listing: Listing,
                      live: Condition) -> tuple[list[Cleanup], int]:
        """`page` in `created_at` order (docs/DESIGN.md#lists-newest-first). One reference's cleanups are few:
        all are read (as their count is). One status's: all of them from `by_status`, or the `created_at`
        index filtered by status, whichever reads fewer (about min(S, page × T / S) of T cleanups, S of them
        of that status: at most about sqrt(page × T), the page for the common ones, S for the active ones)."""
        pk, wanted = _partition(tenant), listing.offset + listing.limit
        if listing.reference is not None:
            key = model.by_reference.startswith(str(_reference_key(listing.reference)))
            found = list(model.reference_index.query(pk, key, filter_condition=live, consistent_read=True))
            page = dynamo.created_order(found, listing.descending)[listing.offset:wanted]
            return _to_domains(page), len(found)
        total = count_store.live_total(tenant, listing.status)
        if listing.status is None:
            page = dynamo.created_page(model, model.created_index, pk, listing.offset, listing.limit,
                                       listing.descending, live)
            return _to_domains(page), total
        everyone = count_store.live_total(tenant)
        if total * total <= wanted * everyone:
            found = list(model.status_index.query(pk, model.by_status.startswith(f"{listing.status}#"),
                                                  filter_condition=live, consistent_read=True))
            page = dynamo.created_order(found, listing.descending)[listing.offset:wanted]
        else:  # one in everyone / total is of that status: examine that many per match wanted, at once
            page = dynamo.created_page(model, model.created_index, pk, listing.offset, listing.limit,
                                       listing.descending, live & (model.status == listing.status),
                                       page_size=-(-wanted * everyone // total))
        return _to_domains(page), total

    def runs_page(self, tenant: Tenant, schedule_id: str, offset: int, limit: int | None,
                  descending: bool) -> tuple[list[Cleanup], int]:
        """The page's links (`run_store`), then its cleanups in one consistent BatchGetItem."""
        ids = run_store.page(tenant, schedule_id, offset, limit, descending)
        model = _cleanups()
        found = {item.sk: item for item in model.batch_get([(_partition(tenant), i) for i in ids],
                                                            consistent_read=True)}
        return _to_domains([found[i] for i in ids if i in found]), run_store.live_total(tenant, schedule_id)

    def run_ids(self, tenant: Tenant, schedule_id: str, offset: int, limit: int | None) -> tuple[list[str], int]:
        ids = run_store.page(tenant, schedule_id, offset, limit, descending=True)
        return ids, run_store.live_total(tenant, schedule_id)

    def get_with_batch(self, tenant: Tenant, cleanup_id: str, number: int) -> tuple[Cleanup, list[str]]:
        cleanup, batch = dynamo.get_items([(_cleanups(), _partition(tenant), cleanup_id),
                                           (_batches(), _snapshot_partition(tenant, cleanup_id), _batch_key(number))])
        if not isinstance(cleanup, CleanupItem):
            raise _not_found(cleanup_id)
        return _to_domain(cleanup), _ids_of(batch if isinstance(batch, BatchItem) else None)

    def batch_ids(self, tenant: Tenant, cleanup_id: str, number: int) -> list[str]:
        try:
            return _ids_of(_batches().get(_snapshot_partition(tenant, cleanup_id), _batch_key(number)))
        except DoesNotExist:
            return []

    def transition(self, before: Cleanup, after: Cleanup, recorded: Recorded) -> bool:
        model = _cleanups()
        actions: list[Action] = [
            model.status.set(after.status), model.updated_at.set(after.updated_at),
            model.started_at.set(after.started_at) if after.started_at else model.started_at.remove(),
            _set_active(model, _active(after)),
            model.by_status.set(_status_key(after.status, after.id)),
        ]
        expiry = expires_at(after, _retention())
        if expiry is not None:
            actions.append(model.expires_at.set(expiry))
        if after.completed_at:
            actions.append(model.completed_at.set(after.completed_at))
        if after.interrupted_at:
            actions.append(model.interrupted_at.set(after.interrupted_at))
        condition = model.status == before.status
        if before.interrupt_request is None:  # an interrupt asked for since: the caller works it out again
            condition &= model.interrupt_request.does_not_exist()
        transaction = Transaction()
        transaction.update(model(_partition(before.tenant), before.id), actions, condition=condition, name="cleanup")
        if before.active and not after.active:
            _give_slot_back(transaction, before.tenant)
        count_store.move(transaction, before, after)
        run_store.move(transaction, before, after, _retention())
        self.recorded_items(transaction, recorded)
        if transaction.commit():
            return False
        if expiry is not None and self.expire_recorded is not None:
            self.expire_recorded(after.tenant, after.id, expiry)
        return True

    def update_details(self, cleanup: Cleanup, changes: dict[str, Any], recorded: Recorded) -> Cleanup:
        """reference, reference_origin, metadata, max_records_per_second: plain attributes, last writer wins."""
        model = _cleanups()
        actions: list[Action] = [getattr(model, name).set(value) if value is not None
                                 else getattr(model, name).remove() for name, value in changes.items()]
        actions.append(model.updated_at.set(cleanup.updated_at))
        if "reference" in changes:
            reference = _reference_key(changes["reference"], cleanup.id)
            actions.append(model.by_reference.set(reference) if reference else model.by_reference.remove())
        condition = model.sk.exists()
        if "max_records_per_second" in changes:  # the throttle changes only while it can apply
            condition &= model.status.is_in(*sorted(ACTIVE))
        transaction = Transaction()
        transaction.update(model(_partition(cleanup.tenant), cleanup.id), actions, condition=condition,
                           name="cleanup")
        self.recorded_items(transaction, recorded)
        if transaction.commit():
            raise ThrottleFinishedError(self.get(cleanup.tenant, cleanup.id).status)  # or not found, if gone
        return self.get(cleanup.tenant, cleanup.id)

    def start_sub_batch(self, tenant: Tenant, cleanup_id: str, number: int, pace: Pace | None = None) -> bool:
        model = _cleanups()
        condition = model.sk.exists() & _startable(model, pace)
        also = _paced(model, pace) if pace is not None else []
        return _begin(model(_partition(tenant), cleanup_id), model.started, number, while_=condition, also=also)

    def count_sub_batch(self, tenant: Tenant, cleanup_id: str, number: int, processed: int, errors: int,
                        errors_log: dict[str, Any], updated_at: str, sample: Sample | None = None,
                        then_start: Start | None = None) -> Cleanup | None:
        model = _cleanups()
        actions: list[Action] = [model.processed_count.add(processed), model.errors_count.add(errors),
                                 model.counted_records.add(processed + errors), model.counted.add({number}),
                                 model.updated_at.set(updated_at), model.reconcile_count.set(0)]
        actions += [model.errors_log[record_id].set(entry) for record_id, entry in errors_log.items()]
        if sample is not None:
            actions.append(model.progress_samples[sample[0]].set(sample[1]))
        condition = model.sk.exists() & ~model.counted.contains(number)
        if then_start is not None:
            actions += [model.started.add({then_start.number}), *_paced(model, then_start.pace)]
            condition &= _startable(model, then_start.pace)
        item = model(_partition(tenant), cleanup_id)
        if not written(lambda: item.update(actions=actions, condition=condition)):
            return None
        return _to_domain(item)

    def mark_report_written(self, tenant: Tenant, cleanup_id: str, written_at: str) -> None:
        """One write, off the `report` work list with it; a restoring cleanup keeps `restore` (a second write)."""
        model = _cleanups()
        item = model(_partition(tenant), cleanup_id)
        listed = model.sk.exists() & (model.active.does_not_exist() | (model.active == REPORTING))
        if not written(lambda: item.update(actions=[model.report_written_at.set(written_at), model.active.remove()],
                                           condition=listed)):
            written(lambda: item.update(actions=[model.report_written_at.set(written_at)],
                                        condition=model.sk.exists()))

    def drop_report_request(self, cleanup: Cleanup) -> None:
        model = _cleanups()
        item = model(_partition(cleanup.tenant), cleanup.id)
        written(lambda: item.update(actions=[model.active.remove()], condition=model.active == REPORTING))

    def unreported(self, before: str) -> Iterator[Cleanup]:
        model = _cleanups()
        for item in model.active_index.query(REPORTING, model.updated_at < before):
            yield _to_domain(item)

    def request_interrupt(self, cleanup: Cleanup, request: dict[str, Any]) -> Cleanup | None:
        model = _cleanups()
        item = model(_partition(cleanup.tenant), cleanup.id)
        condition = model.status.is_in(*sorted(ACTIVE)) & model.interrupt_request.does_not_exist()
        if not written(lambda: item.update(actions=[model.interrupt_request.set(request)], condition=condition)):
            return None
        return _to_domain(item)

    def report(self, recorded: Recorded) -> None:
        if not recorded.events and not recorded.versions:
            return
        transaction = Transaction()
        self.recorded_items(transaction, recorded)
        transaction.commit()

    # --- a large cleanup's selection ------------------------------------------------------------

    def lease_selection(self, cleanup: Cleanup, token: str, now: float, until: float) -> bool:
        model = _cleanups()
        free = model.selection_lease_until.does_not_exist() | (model.selection_lease_until < now)
        condition = ((model.status == PENDING) & (model.selecting == True)  # noqa: E712 - a condition, not a test
                     & (model.selection_pages == cleanup.selection_pages) & free)
        item = model(_partition(cleanup.tenant), cleanup.id)
        return written(lambda: item.update(
            actions=[model.selection_lease.set(token), model.selection_lease_until.set(until)], condition=condition))

    def checkpoint_selection(self, before: Cleanup, after: Cleanup, batches: Sequence[Sequence[str]],
                             token: str) -> bool:
        """The page's batches first: a refused checkpoint leaves them past `batch_count`, unread until overwritten."""
        self._write_batches(after, batches, first=before.batch_count)
        model = _cleanups()
        actions: list[Action] = [
            model.records_count.set(after.records_count), model.batch_count.set(after.batch_count),
            model.sub_batch_count.set(after.sub_batch_count), model.selection_pages.set(after.selection_pages),
            model.selecting.set(after.selecting), model.updated_at.set(after.updated_at),
            model.reconcile_count.set(0), model.selection_lease.remove(), model.selection_lease_until.remove(),
        ]
        if after.selection_cursor is not None:
            actions.append(model.selection_cursor.set(after.selection_cursor))
        actions += [model.errors_log[key].set(entry) for key, entry in after.errors_log.items()
                    if key not in before.errors_log]
        condition = ((model.status == PENDING) & (model.selection_pages == before.selection_pages)
                     & (model.selection_lease == token))
        item = model(_partition(before.tenant), before.id)
        return written(lambda: item.update(actions=actions, condition=condition))

    def mark_reconciled(self, cleanup: Cleanup, updated_at: str) -> None:
        model = _cleanups()
        model(_partition(cleanup.tenant), cleanup.id).update(
            actions=[model.reconcile_count.add(1), model.updated_at.set(updated_at)])

    def reconcile_count(self, cleanup: Cleanup) -> int:
        item = _cleanups().get(_partition(cleanup.tenant), cleanup.id, attributes_to_get=["reconcile_count"])
        return int(item.reconcile_count or 0)

    def stale(self, before: str) -> Iterator[Cleanup]:
        model = _cleanups()
        for item in model.active_index.query("1", model.updated_at < before):
            yield _to_domain(item)

    def delete(self, cleanup: Cleanup, recorded: Recorded) -> bool:
        """Snapshot first: only a finished cleanup is deleted; a retry reading it takes a missing batch as gone.
        Its filters item stays until its TTL, as its events do: an event redispatched later reads them."""
        if cleanup.status not in TERMINAL:
            return False
        self._delete_batches(cleanup, cleanup.batch_count)
        model = _cleanups()
        transaction = Transaction()
        transaction.delete(model(_partition(cleanup.tenant), cleanup.id),
                           condition=model.status.is_in(*sorted(TERMINAL)), name="cleanup")
        count_store.add(transaction, cleanup, -1)
        run_store.remove(transaction, cleanup, _retention())
        self.recorded_items(transaction, recorded)
        return not transaction.commit()

    # --- restores --------------------------------------------------------------------------------

    def restore_transition(self, before: Cleanup, after: Cleanup, recorded: Recorded) -> bool:
        if after.restore_status is None:
            raise ValueError("a restore never goes back to none")
        model = _cleanups()
        actions: list[Action] = [
            model.restore_status.set(after.restore_status), model.updated_at.set(after.updated_at),
            model.active.set(RESTORING) if after.restoring else _set_active(model, _active(after)),
        ]
        if after.restore_status == PENDING:  # asked: its reconcile attempts start afresh
            actions.append(model.reconcile_count.set(0))
        if before.restore_status is None:  # counts exist from here on, so the worker only ADDs (a resume keeps them)
            actions += [model.restored_count.set(0), model.restore_errors_count.set(0),
                        model.restore_errors_log.set({})]
        was = (model.restore_status.does_not_exist() if before.restore_status is None
               else model.restore_status == before.restore_status)
        transaction = Transaction()
        transaction.update(model(_partition(before.tenant), before.id), actions,
                           condition=was & model.status.is_in(*sorted(TERMINAL)), name="cleanup")
        self.recorded_items(transaction, recorded)
        return not transaction.commit()

    def start_restore_sub_batch(self, tenant: Tenant, cleanup_id: str, number: int) -> bool:
        model = _cleanups()
        return _begin(model(_partition(tenant), cleanup_id), model.restore_started, number,
                      while_=model.restore_status.is_in(*sorted(RESTORE_ACTIVE)))

    def count_restore_sub_batch(self, tenant: Tenant, cleanup_id: str, number: int, restored: int, errors: int,
                                errors_log: dict[str, Any], updated_at: str) -> Cleanup | None:
        model = _cleanups()
        outcome = Outcome([model.restored_count.add(restored), model.restore_errors_count.add(errors)], errors_log,
                          updated_at)
        return _count_once(model(_partition(tenant), cleanup_id), number, outcome, model.restore_counted,
                           model.restore_errors_log, guard=model.restore_status.exists())

    def stale_restores(self, before: str) -> Iterator[Cleanup]:
        model = _cleanups()
        for item in model.active_index.query(RESTORING, model.updated_at < before):
            yield _to_domain(item)
