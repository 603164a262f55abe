"""Batch delete for the cleanup worker: many records with their cascades, in few calls.

Reads every record of the batch and every generation that must be read with
BatchGetItem (100 keys a call), then deletes sub-batch by sub-batch with
BatchWriteItem (25 keys a call), asking `keep_going()` before each.
Idempotent: a record already gone counts as deleted, so a re-run after a
crash classifies every record the same way and finishes the job.

Parents' `children` sets are not updated for deleted top-level records: one
UpdateItem per record would multiply the calls, and a stale entry is harmless
(deleting a missing key is a no-op).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from chalicelib.catalog import get_type
from chalicelib.records.cascade import Deletion, plan_deletions, write_order
from chalicelib.records.items import Item, record_key
from chalicelib.records.store import RecordsStore
from chalicelib.tenancy import Tenant

MODIFIED = "has been modified after the cleanup was created"


@dataclass
class BatchOutcome:
    deleted: list[str] = field(default_factory=list)
    errors: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    stopped: bool = False
    remaining: list[str] = field(default_factory=list)


def _read(store: RecordsStore, tenant: Tenant, type_name: str, ids: Sequence[str]) -> dict[str, Item]:
    return {item["sk"]["S"]: item for item in store.batch_get([record_key(tenant, type_name, i) for i in ids])}


def classify(ids: Sequence[str], found: dict[str, Item], not_modified_after: str) -> tuple[list[str], list[str]]:
    """(ids to delete, ids modified after the cutoff); a missing id is neither, it is already deleted."""
    deletable, modified = [], []
    for record_id in ids:
        item = found.get(record_id)
        if item is None:
            continue
        if item.get("updated_at", {}).get("S", "") > not_modified_after:
            modified.append(record_id)
        else:
            deletable.append(record_id)
    return deletable, modified


def delete_batch(tenant: Tenant, type_name: str, ids: Sequence[str], *, not_modified_after: str,
                 sub_batch_size: int, keep_going: Callable[[], bool],
                 store: RecordsStore | None = None) -> BatchOutcome:
    """Delete `ids` of `type_name` with their cascades unless modified after `not_modified_after`."""
    get_type(type_name)  # an unknown type fails before any read
    store = store or RecordsStore()
    ordered = list(dict.fromkeys(ids))
    found = _read(store, tenant, type_name, ordered)
    deletable, modified_ids = classify(ordered, found, not_modified_after)
    modified = set(modified_ids)
    deletions = plan_deletions(tenant, type_name, {i: found[i] for i in deletable},
                               lambda t, child_ids: _read(store, tenant, t, child_ids))
    outcome = BatchOutcome()
    size = max(1, sub_batch_size)
    for start in range(0, len(ordered), size):
        if not keep_going():
            outcome.stopped = True
            outcome.remaining = ordered[start:]
            break
        chunk = ordered[start:start + size]
        _delete(store, [deletions[i] for i in chunk if i in deletions])
        for record_id in chunk:
            if record_id in modified:
                outcome.errors[record_id] = {"updated_at": [MODIFIED]}
            else:
                outcome.deleted.append(record_id)
    return outcome


def _delete(store: RecordsStore, deletions: Sequence[Deletion]) -> None:
    for keys in write_order(deletions):
        store.batch_delete(keys)
