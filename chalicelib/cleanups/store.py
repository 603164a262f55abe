"""DynamoDB adapter for cleanups, their snapshot batches and the active-cleanup slots (PynamoDB).

Every state change is one conditional write: the caller whose write wins owns the
transition (and fires its event); counts move by atomic ADDs guarded by the set
of batches already counted, so a redelivered batch never counts twice.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from pynamodb.attributes import (
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    NumberSetAttribute,
    UnicodeAttribute,
)
from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.cleanups.exceptions import CleanupLimitError
from chalicelib.cleanups.model import ACTIVE, Cleanup
from chalicelib.config import get_settings
from chalicelib.dynamo import ServiceItem, TenantItem, bind
from chalicelib.exceptions import RecordNotFoundError
from chalicelib.tenancy import Tenant

_CONDITION_FAILED = "ConditionalCheckFailedException"


class ActiveIndex(GlobalSecondaryIndex["CleanupItem"]):
    """Only active cleanups carry `active`: the reconciler's work list, oldest update first."""

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


def _partition(tenant: Tenant) -> str:
    return f"{tenant.key}#cleanups"


def _slots_key(tenant: Tenant) -> tuple[str, str]:
    return f"{tenant.key}#slots", "cleanups"


def _snapshot_partition(tenant: Tenant, cleanup_id: str) -> str:
    return f"{tenant.key}#cleanup#{cleanup_id}"


def _batch_key(number: int) -> str:
    return f"batch#{number:05d}"


def _failed_condition(error: Exception) -> bool:
    cause = getattr(error, "cause_response_code", None)
    return cause == _CONDITION_FAILED


def _to_domain(item: CleanupItem) -> Cleanup:
    return Cleanup(
        tenant=Tenant(item.organization_id, item.mode), id=item.sk, resource_type=item.resource_type,
        filters=item.filters or {}, created_at=item.created_at, updated_at=item.updated_at, status=item.status,
        records_count=int(item.records_count), processed_count=int(item.processed_count),
        errors_count=int(item.errors_count), errors_log=item.errors_log.as_dict() if item.errors_log else {},
        batch_size=int(item.batch_size), sub_batch_size=int(item.sub_batch_size), batch_count=int(item.batch_count),
        sub_batch_count=int(item.sub_batch_count), started=frozenset(int(b) for b in item.started or ()),
        counted=frozenset(int(b) for b in item.counted or ()),
        started_at=item.started_at, completed_at=item.completed_at, interrupted_at=item.interrupted_at,
        reference=item.reference, reference_origin=item.reference_origin, metadata=item.metadata or {},
    )


def _to_item(cleanup: Cleanup) -> CleanupItem:
    return _cleanups()(
        _partition(cleanup.tenant), cleanup.id, organization_id=cleanup.tenant.organization_id,
        mode=cleanup.tenant.mode, resource_type=cleanup.resource_type, status=cleanup.status,
        filters=cleanup.filters, records_count=cleanup.records_count, processed_count=cleanup.processed_count,
        errors_count=cleanup.errors_count, errors_log=MapAttribute(**cleanup.errors_log),
        batch_size=cleanup.batch_size, sub_batch_size=cleanup.sub_batch_size, batch_count=cleanup.batch_count,
        sub_batch_count=cleanup.sub_batch_count, started_at=cleanup.started_at, completed_at=cleanup.completed_at,
        interrupted_at=cleanup.interrupted_at, created_at=cleanup.created_at, updated_at=cleanup.updated_at,
        reference=cleanup.reference, reference_origin=cleanup.reference_origin, metadata=cleanup.metadata,
        active="1" if cleanup.active else None,
    )


# --- slots -------------------------------------------------------------------------------------

def acquire_slot(tenant: Tenant, limit: int) -> None:
    model = _slots()
    item = model(*_slots_key(tenant))
    try:
        item.update(actions=[model.active_count.add(1)],
                    condition=model.active_count.does_not_exist() | (model.active_count < limit))
    except UpdateError as error:
        if _failed_condition(error):
            raise CleanupLimitError(limit) from None
        raise


def release_slot(tenant: Tenant) -> None:
    model = _slots()
    model(*_slots_key(tenant)).update(actions=[model.active_count.add(-1)])


def reset_slots(tenant: Tenant, active: int) -> None:
    """The reconciler's repair: the slot count as the cleanups themselves say."""
    _slots()(*_slots_key(tenant), active_count=active).save()


# --- cleanups and snapshots --------------------------------------------------------------------

def save_new(cleanup: Cleanup, batches: Sequence[Sequence[str]]) -> None:
    """Snapshot first, cleanup last: a crash in between leaves only unreachable batch items."""
    with _batches().batch_write() as writer:
        for number, ids in enumerate(batches):
            writer.save(_batches()(_snapshot_partition(cleanup.tenant, cleanup.id), _batch_key(number), ids=list(ids)))
    item = _to_item(cleanup)
    item.save(condition=_cleanups().sk.does_not_exist())


def get(tenant: Tenant, cleanup_id: str) -> Cleanup:
    try:
        return _to_domain(_cleanups().get(_partition(tenant), cleanup_id, consistent_read=True))
    except DoesNotExist:
        raise RecordNotFoundError(f"No cleanup {cleanup_id}") from None


def status_of(tenant: Tenant, cleanup_id: str) -> str | None:
    """The status alone (a small consistent read between sub-batches); None once deleted."""
    try:
        item = _cleanups().get(_partition(tenant), cleanup_id, consistent_read=True, attributes_to_get=["status"])
    except DoesNotExist:
        return None
    return item.status


def list_for(tenant: Tenant) -> list[Cleanup]:
    return [_to_domain(item) for item in _cleanups().query(_partition(tenant), consistent_read=True)]


def batch_ids(tenant: Tenant, cleanup_id: str, number: int) -> list[str]:
    try:
        return [str(i) for i in _batches().get(_snapshot_partition(tenant, cleanup_id), _batch_key(number)).ids]
    except DoesNotExist:
        return []


def transition(before: Cleanup, after: Cleanup) -> bool:
    """Write `after` if the stored status is still `before.status`; False when another writer won."""
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
    try:
        model(_partition(before.tenant), before.id).update(
            actions=actions, condition=model.status == before.status)
    except UpdateError as error:
        if _failed_condition(error):
            return False
        raise
    return True


def update_details(cleanup: Cleanup, changes: dict[str, Any]) -> Cleanup:
    """reference, reference_origin, metadata: plain attributes, last writer wins."""
    model = _cleanups()
    actions: list[Action] = [getattr(model, name).set(value) if value is not None else getattr(model, name).remove()
               for name, value in changes.items()]
    actions.append(model.updated_at.set(cleanup.updated_at))
    try:
        item = model(_partition(cleanup.tenant), cleanup.id)
        item.update(actions=actions, condition=model.sk.exists())
    except UpdateError as error:
        if _failed_condition(error):
            raise RecordNotFoundError(f"No cleanup {cleanup.id}") from None
        raise
    return _to_domain(item)


def start_sub_batch(tenant: Tenant, cleanup_id: str, number: int) -> bool:
    """Mark a sub-batch begun, only while the cleanup is active: the interrupt check before it.

    A sub-batch marked begun is finished even after an interrupt (it was in flight), so a
    crash half-way through it never leaves records stripped of their associated records.
    """
    model = _cleanups()
    try:
        model(_partition(tenant), cleanup_id).update(
            actions=[model.started.add({number})],
            condition=model.sk.exists() & model.status.is_in(*sorted(ACTIVE)))
    except UpdateError as error:
        if _failed_condition(error):
            return False
        raise
    return True


def count_sub_batch(tenant: Tenant, cleanup_id: str, number: int, processed: int, errors: int,
                    errors_log: dict[str, Any], updated_at: str) -> Cleanup | None:
    """Add one sub-batch's outcome exactly once; the cleanup after it, or None if already counted."""
    model = _cleanups()
    actions: list[Action] = [model.processed_count.add(processed), model.errors_count.add(errors),
               model.counted.add({number}), model.updated_at.set(updated_at), model.reconcile_count.set(0)]
    actions += [model.errors_log[record_id].set(entry) for record_id, entry in errors_log.items()]
    item = model(_partition(tenant), cleanup_id)
    try:
        item.update(actions=actions, condition=model.sk.exists() & ~model.counted.contains(number))
    except UpdateError as error:
        if _failed_condition(error):
            return None
        raise
    return _to_domain(item)


def mark_reconciled(cleanup: Cleanup, updated_at: str) -> None:
    model = _cleanups()
    model(_partition(cleanup.tenant), cleanup.id).update(
        actions=[model.reconcile_count.add(1), model.updated_at.set(updated_at)])


def reconcile_count(cleanup: Cleanup) -> int:
    item = _cleanups().get(_partition(cleanup.tenant), cleanup.id, attributes_to_get=["reconcile_count"])
    return int(item.reconcile_count or 0)


def stale(before: str) -> Iterator[Cleanup]:
    """Active cleanups last updated before `before` (ISO), across tenants."""
    model = _cleanups()
    for item in model.active_index.query("1", model.updated_at < before):
        yield _to_domain(item)


def delete(cleanup: Cleanup) -> None:
    """The cleanup and its snapshot."""
    batches = _batches()
    with batches.batch_write() as writer:
        for number in range(cleanup.batch_count):
            writer.delete(batches(_snapshot_partition(cleanup.tenant, cleanup.id), _batch_key(number)))
    _cleanups()(_partition(cleanup.tenant), cleanup.id).delete()


def count_active(tenant: Tenant) -> int:
    return sum(1 for c in list_for(tenant) if c.status in ACTIVE)
