"""Batch delete for the cleanup worker: a sub-batch of records with their cascades, strict and atomic.

`delete_batch` plans the sub-batch (the roots and the full image of everything they take with
them), archives the plan before deleting anything, then deletes the roots with their unique
guards in conditional transactions and the roots' associated records after them.

Callers rely on: no root modified after the cutoff is deleted, even between the read and the
delete (it is reported modified, its group kept); no associated record or guard outlives its
root at any crash point, since a redelivered sub-batch finishes the archived plan; a record
already gone counts as deleted. Parents' `children` sets are not updated for the deleted roots.

Why: docs/DESIGN.md#batch-delete
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from chalicelib.catalog import get_type
from chalicelib.records.adapters.store import RecordsStore, TransactionCancelled
from chalicelib.records.archive import Archive, ArchivedBatch, decode, encode
from chalicelib.records.cascade import plan_groups
from chalicelib.records.items import Item, record_key
from chalicelib.records.transact import Group, chunked, failed_conditions, key_id, key_of, pack, split
from chalicelib.tenancy import Tenant

MODIFIED = "has been modified after the cleanup was created"
# The root is deleted only while it is gone already or unchanged since the cutoff.
NOT_MODIFIED = "attribute_not_exists(#pk) OR #updated_at <= :cutoff"


@dataclass
class BatchOutcome:
    deleted: list[str] = field(default_factory=list)
    errors: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    associated: dict[str, dict[str, int]] = field(default_factory=dict)  # by deleted root: records of each type


def associated_counts(groups: Sequence[Group]) -> dict[str, dict[str, int]]:
    """By root id, how many records of each associated type its group holds (guards are not records)."""
    counts: dict[str, dict[str, int]] = {}
    for group in groups:
        by_type = counts.setdefault(group.id, {})
        for item in group.records:
            type_name = str(item["pk"]["S"]).rsplit("#", 1)[1]
            by_type[type_name] = by_type.get(type_name, 0) + 1
    return counts


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
                 archive: Archive | None, archive_key: str | None,
                 store: RecordsStore) -> BatchOutcome:
    """Delete `ids` of `type_name` with their cascades unless modified after `not_modified_after`.

    With an `archive`, the sub-batch is archived under `archive_key` first (and redone from it).
    """
    get_type(type_name)  # an unknown type fails before any read
    if (archive is None) != (archive_key is None):
        raise ValueError("an archive needs a key, and a key an archive")
    ordered = list(dict.fromkeys(ids))
    batch = _archived(archive, archive_key, _plan(store, tenant, type_name, ordered, not_modified_after))
    failed = delete_groups(store, batch.groups, not_modified_after, redo_logged=archive is not None)
    if failed:
        _archive(archive, archive_key, batch.without(failed))
    modified = set(batch.modified) | failed
    return BatchOutcome(deleted=[i for i in ordered if i not in modified],
                        errors={i: {"updated_at": [MODIFIED]} for i in ordered if i in modified},
                        associated=associated_counts([g for g in batch.groups if g.id not in failed]))


def _archived(archive: Archive | None, key: str | None, plan: ArchivedBatch) -> ArchivedBatch:
    """The plan to carry out: `plan` once archived, or the one an earlier delivery archived first."""
    if archive is None or key is None:
        return plan
    earlier = archive.create(key, encode(plan))
    return decode(earlier) if earlier is not None else plan


def _archive(archive: Archive | None, key: str | None, batch: ArchivedBatch) -> None:
    if archive is not None and key is not None:
        archive.put(key, encode(batch))


def _plan(store: RecordsStore, tenant: Tenant, type_name: str, ids: Sequence[str], cutoff: str) -> ArchivedBatch:
    found = {item["sk"]["S"]: item for item in store.batch_get([record_key(tenant, type_name, i) for i in ids])}
    deletable, modified = classify(ids, found, cutoff)
    groups = plan_groups(tenant, type_name, {i: found[i] for i in deletable}, store.batch_get)
    return ArchivedBatch(tenant, type_name, tuple(groups), tuple(modified))


def delete_groups(store: RecordsStore, groups: Sequence[Group], not_modified_after: str, *,
                  redo_logged: bool = False) -> set[str]:
    """Delete every group whose root's condition holds; the ids of the roots whose condition failed.

    `redo_logged`: the groups are archived, so the roots (with their guards) go first and their
    associated records after, in full transactions; otherwise each group goes whole into one.
    """
    if not redo_logged:
        return _delete_each_packed(store, groups, not_modified_after)
    failed = _delete_each_packed(store, [replace(g, records=()) for g in groups], not_modified_after)
    kept = {key_id(g.root) for g in groups if g.id in failed}  # a kept root is nobody's record to delete
    rest = list({key_id(i): key_of(i) for g in groups if g.id not in failed for i in g.records
                 if key_id(i) not in kept}.values())
    store.each(lambda keys: store.transact_write([{"Delete": {"Key": key}} for key in keys]), chunked(rest))
    return failed


def _delete_each_packed(store: RecordsStore, groups: Sequence[Group], not_modified_after: str) -> set[str]:
    """Packed transactions share no item, so they run concurrently (up to the store's concurrency)."""
    failed = store.each(lambda transaction: _delete_packed(store, transaction, not_modified_after),
                        list(pack(groups)))
    return set().union(*failed)


def _delete_packed(store: RecordsStore, transaction: Sequence[Group], not_modified_after: str) -> set[str]:
    """One packed transaction, sent again without the roots whose condition failed; those roots' ids."""
    modified: set[str] = set()
    pending = list(transaction)
    while pending:
        try:
            _transact_deletes(store, pending, not_modified_after)
            break
        except TransactionCancelled as cancelled:
            # Root deletes come first in a transaction: their indexes are the failed roots.
            failed = {pending[i].id for i in failed_conditions(cancelled.reasons) if i < len(pending)}
            if not failed:
                raise
            modified |= failed
            pending = [g for g in pending if g.id not in failed]
    return modified


def _transact_deletes(store: RecordsStore, groups: Sequence[Group], cutoff: str) -> None:
    heads, tails = zip(*(split(g) for g in groups), strict=True)
    roots = [_conditional_delete(g.root, cutoff) for g in groups]
    seen = {key_id(g.root) for g in groups}
    others = []
    for head in heads:
        for item in head[1:]:
            if key_id(item) not in seen:  # one item may appear in a transaction once
                seen.add(key_id(item))
                others.append({"Delete": {"Key": key_of(item)}})
    store.transact_write(roots + others)
    for chunks in tails:
        for chunk in chunks:
            store.batch_delete([key_of(i) for i in chunk])


def _conditional_delete(root: Item, cutoff: str) -> dict[str, Any]:
    return {"Delete": {"Key": key_of(root), "ConditionExpression": NOT_MODIFIED,
                       "ExpressionAttributeNames": {"#pk": "pk", "#updated_at": "updated_at"},
                       "ExpressionAttributeValues": {":cutoff": {"S": cutoff}}}}
