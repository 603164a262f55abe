"""The `CleanupRepository` port on DynamoDB (PynamoDB): cleanups, snapshot batches, active-cleanup slots.

Every state change is one conditional write: the caller whose write wins owns the
transition (and dispatches its events); counts move by atomic ADDs guarded by the set
of sub-batches already counted, so a redelivered batch never counts twice.

Create, transitions, detail updates and delete are each one TransactWriteItems: the
cleanup's conditional write, the items of what it reports (events, versions: added by
the events store, injected as `recorded_items`), and the tenant's slot count: ADD 1
under `active_count < limit` when a cleanup is created active, ADD -1 when a transition
leaves the active states. The count never passes the limit and never drifts.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from pynamodb.attributes import (
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    NumberSetAttribute,
    UnicodeAttribute,
)
from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.cleanups.exceptions import CleanupLimitError
from chalicelib.cleanups.model import ACTIVE, PENDING, RESTORE_ACTIVE, TERMINAL, Cleanup
from chalicelib.config import get_settings
from chalicelib.dynamo import ServiceItem, TenantItem, Transaction, bind, to_domain, to_item, written
from chalicelib.exceptions import RecordNotFoundError
from chalicelib.idempotency import Claim
from chalicelib.idempotency.store import CLAIM, add_claim, check_claim
from chalicelib.tenancy import Tenant

if TYPE_CHECKING:
    from chalicelib.events.model import Recorded

RecordedItems = Callable[[Transaction, "Recorded"], None]  # `chalicelib.events.store.add_recorded`


class ActiveIndex(GlobalSecondaryIndex["CleanupItem"]):
    """Only active cleanups (`1`) and active restores (`restore`) carry `active`: the reconciler's work lists."""

    class Meta:
        index_name = "active"
        projection = AllProjection()

    active = UnicodeAttribute(hash_key=True)
    updated_at = UnicodeAttribute(range_key=True)


class CleanupItem(TenantItem):
    resource_type = UnicodeAttribute()
    status = UnicodeAttribute()
    filters = JSONAttribute()
    records_count = NumberAttribute(default=0)
    processed_count = NumberAttribute(default=0)
    errors_count = NumberAttribute(default=0)
    errors_log = MapAttribute()  # type: ignore[var-annotated]
    batch_size = NumberAttribute(default=1)
    sub_batch_size = NumberAttribute(default=1)
    batch_count = NumberAttribute(default=0)
    sub_batch_count = NumberAttribute(default=0)
    started = NumberSetAttribute(null=True)
    counted = NumberSetAttribute(null=True)
    started_at = UnicodeAttribute(null=True)
    completed_at = UnicodeAttribute(null=True)
    interrupted_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    reference = UnicodeAttribute(null=True)
    reference_origin = UnicodeAttribute(null=True)
    metadata = JSONAttribute(null=True)
    restore_window_days = NumberAttribute(null=True)
    restore_status = UnicodeAttribute(null=True)
    restored_count = NumberAttribute(null=True)
    restore_errors_count = NumberAttribute(null=True)
    restore_errors_log = MapAttribute(null=True)  # type: ignore[var-annotated]
    restore_started = NumberSetAttribute(null=True)
    restore_counted = NumberSetAttribute(null=True)
    active = UnicodeAttribute(null=True)
    reconcile_count = NumberAttribute(default=0)
    active_index = ActiveIndex()


class BatchItem(ServiceItem):
    """One batch of a cleanup's snapshot: the ids selected at creation."""

    ids = ListAttribute(of=UnicodeAttribute)  # type: ignore[var-annotated]


class SlotsItem(ServiceItem):
    """How many cleanups a tenant has active: the limit is a conditional ADD on this."""

    # Not `active`: that name is the `active` index's string key.
    active_count = NumberAttribute(default=0)


def _cleanups() -> type[CleanupItem]:
    return bind(CleanupItem, get_settings().cleanups_table)


def _batches() -> type[BatchItem]:
    return bind(BatchItem, get_settings().cleanups_table)


def _slots() -> type[SlotsItem]:
    return bind(SlotsItem, get_settings().cleanups_table)


RESTORING = "restore"  # `active` of a terminal cleanup whose restore is pending or in progress


def _partition(tenant: Tenant) -> str:
    return f"{tenant.key}#cleanups"


def _slots_key(tenant: Tenant) -> tuple[str, str]:
    return f"{tenant.key}#slots", "cleanups"


def _snapshot_partition(tenant: Tenant, cleanup_id: str) -> str:
    return f"{tenant.key}#cleanup#{cleanup_id}"


def _batch_key(number: int) -> str:
    return f"batch#{number:05d}"


def _to_domain(item: CleanupItem) -> Cleanup:
    return to_domain(Cleanup, item, id=item.sk)


def _to_item(cleanup: Cleanup) -> CleanupItem:
    return to_item(_cleanups(), cleanup, pk=_partition(cleanup.tenant), sk=cleanup.id,
                   active="1" if cleanup.active else None)


def _not_found(cleanup_id: str) -> RecordNotFoundError:
    return RecordNotFoundError(f"No cleanup {cleanup_id}")


def _take_slot(transaction: Transaction, tenant: Tenant, limit: int) -> None:
    model = _slots()
    transaction.update(model(*_slots_key(tenant)), [model.active_count.add(1)],
                       condition=model.active_count.does_not_exist() | (model.active_count < limit), name="slots")


def _give_slot_back(transaction: Transaction, tenant: Tenant) -> None:
    model = _slots()
    transaction.update(model(*_slots_key(tenant)), [model.active_count.add(-1)], name="slots")


class DynamoCleanupRepository:
    """Implements `chalicelib.cleanups.ports.CleanupRepository`; stateless (tables are bound per call)."""

    def __init__(self, recorded_items: RecordedItems) -> None:
        self.recorded_items = recorded_items

    def slots_taken(self, tenant: Tenant) -> int:
        try:
            return int(_slots().get(*_slots_key(tenant), consistent_read=True).active_count or 0)
        except DoesNotExist:
            return 0

    # --- cleanups and snapshots ----------------------------------------------------------------

    def _write_batches(self, cleanup: Cleanup, batches: Sequence[Sequence[str]]) -> None:
        with _batches().batch_write() as writer:
            for number, ids in enumerate(batches):
                writer.save(_batches()(_snapshot_partition(cleanup.tenant, cleanup.id), _batch_key(number),
                                       ids=list(ids)))

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
        if cleanup.active:
            _take_slot(transaction, cleanup.tenant, limit)
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
        try:
            return _to_domain(_cleanups().get(_partition(tenant), cleanup_id, consistent_read=True))
        except DoesNotExist:
            raise _not_found(cleanup_id) from None

    def list_for(self, tenant: Tenant) -> list[Cleanup]:
        return [_to_domain(item) for item in _cleanups().query(_partition(tenant), consistent_read=True)]

    def batch_ids(self, tenant: Tenant, cleanup_id: str, number: int) -> list[str]:
        try:
            return [str(i) for i in _batches().get(_snapshot_partition(tenant, cleanup_id), _batch_key(number)).ids]
        except DoesNotExist:
            return []

    def transition(self, before: Cleanup, after: Cleanup, recorded: Recorded) -> bool:
        model = _cleanups()
        actions: list[Action] = [
            model.status.set(after.status), model.updated_at.set(after.updated_at),
            model.started_at.set(after.started_at) if after.started_at else model.started_at.remove(),
            model.active.set("1") if after.active else model.active.remove(),
        ]
        if after.completed_at:
            actions.append(model.completed_at.set(after.completed_at))
        if after.interrupted_at:
            actions.append(model.interrupted_at.set(after.interrupted_at))
        transaction = Transaction()
        transaction.update(model(_partition(before.tenant), before.id), actions,
                           condition=model.status == before.status, name="cleanup")
        if before.active and not after.active:
            _give_slot_back(transaction, before.tenant)
        self.recorded_items(transaction, recorded)
        return not transaction.commit()

    def update_details(self, cleanup: Cleanup, changes: dict[str, Any], recorded: Recorded) -> Cleanup:
        """reference, reference_origin, metadata: plain attributes, last writer wins."""
        model = _cleanups()
        actions: list[Action] = [getattr(model, name).set(value) if value is not None
                                 else getattr(model, name).remove() for name, value in changes.items()]
        actions.append(model.updated_at.set(cleanup.updated_at))
        transaction = Transaction()
        transaction.update(model(_partition(cleanup.tenant), cleanup.id), actions, condition=model.sk.exists(),
                           name="cleanup")
        self.recorded_items(transaction, recorded)
        if transaction.commit():
            raise _not_found(cleanup.id)
        return self.get(cleanup.tenant, cleanup.id)

    def start_sub_batch(self, tenant: Tenant, cleanup_id: str, number: int) -> bool:
        model = _cleanups()
        item = model(_partition(tenant), cleanup_id)
        return written(lambda: item.update(actions=[model.started.add({number})],
                                           condition=model.sk.exists() & model.status.is_in(*sorted(ACTIVE))))

    def count_sub_batch(self, tenant: Tenant, cleanup_id: str, number: int, processed: int, errors: int,
                        errors_log: dict[str, Any], updated_at: str) -> Cleanup | None:
        model = _cleanups()
        actions: list[Action] = [model.processed_count.add(processed), model.errors_count.add(errors),
                                 model.counted.add({number}), model.updated_at.set(updated_at),
                                 model.reconcile_count.set(0)]
        actions += [model.errors_log[record_id].set(entry) for record_id, entry in errors_log.items()]
        item = model(_partition(tenant), cleanup_id)
        if not written(lambda: item.update(actions=actions,
                                           condition=model.sk.exists() & ~model.counted.contains(number))):
            return None
        return _to_domain(item)

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
        """Snapshot first: only a finished cleanup is deleted, and none reads a finished one's snapshot."""
        if cleanup.status not in TERMINAL:
            return False
        self._delete_batches(cleanup, cleanup.batch_count)
        model = _cleanups()
        transaction = Transaction()
        transaction.delete(model(_partition(cleanup.tenant), cleanup.id),
                           condition=model.status.is_in(*sorted(TERMINAL)), name="cleanup")
        self.recorded_items(transaction, recorded)
        return not transaction.commit()

    # --- restores --------------------------------------------------------------------------------

    def restore_transition(self, before: Cleanup, after: Cleanup, recorded: Recorded) -> bool:
        if after.restore_status is None:
            raise ValueError("a restore never goes back to none")
        model = _cleanups()
        actions: list[Action] = [
            model.restore_status.set(after.restore_status), model.updated_at.set(after.updated_at),
            model.active.set(RESTORING) if after.restoring else model.active.remove(),
        ]
        if after.restore_status == PENDING:  # counts exist from here on, so the worker only ADDs to them
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
        item = model(_partition(tenant), cleanup_id)
        return written(lambda: item.update(actions=[model.restore_started.add({number})],
                                           condition=model.restore_status.is_in(*sorted(RESTORE_ACTIVE))))

    def count_restore_sub_batch(self, tenant: Tenant, cleanup_id: str, number: int, restored: int, errors: int,
                                errors_log: dict[str, Any], updated_at: str) -> Cleanup | None:
        model = _cleanups()
        actions: list[Action] = [model.restored_count.add(restored), model.restore_errors_count.add(errors),
                                 model.restore_counted.add({number}), model.updated_at.set(updated_at),
                                 model.reconcile_count.set(0)]
        actions += [model.restore_errors_log[record_id].set(entry) for record_id, entry in errors_log.items()]
        item = model(_partition(tenant), cleanup_id)
        if not written(lambda: item.update(actions=actions, condition=model.restore_status.exists()
                                           & ~model.restore_counted.contains(number))):
            return None
        return _to_domain(item)

    def stale_restores(self, before: str) -> Iterator[Cleanup]:
        model = _cleanups()
        for item in model.active_index.query(RESTORING, model.updated_at < before):
            yield _to_domain(item)
