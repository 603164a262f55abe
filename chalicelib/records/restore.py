"""Restore an archived sub-batch: every root back with its associated records and guards, as deleted.

Each root group is put back in one transaction, every Put conditioned on its
key being free, so a group is restored whole or not at all. A root whose id
exists again, or a unique value (a guard) now taken, makes the group a
restore error. An item that exists and equals its archived image was put back
by an earlier delivery: it counts as restored, so redelivery is harmless.
A group of more than 100 items is put back in chunks, its root's chunk last.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from chalicelib.records.adapters.store import RecordsStore, TransactionCancelled
from chalicelib.records.archive import Archive, ArchiveMissingError, decode
from chalicelib.records.items import Item, guard_attribute, is_guard_key
from chalicelib.records.model import TAKEN
from chalicelib.records.transact import Group, Reason, failed_conditions, key_of, same_image, split
from chalicelib.tenancy import Tenant

ALREADY_EXISTS = "already exists"
_FREE = "attribute_not_exists(#pk)"

Errors = dict[str, list[str]]


@dataclass
class RestoreOutcome:
    restored: list[str] = field(default_factory=list)
    errors: dict[str, Errors] = field(default_factory=dict)


def restore_batch(tenant: Tenant, archive: Archive, archive_key: str,
                  store: RecordsStore) -> RestoreOutcome:
    """Put back every root group archived under `archive_key`; conflicting groups are errors, left as they are."""
    body = archive.get(archive_key)
    if body is None:
        raise ArchiveMissingError(archive_key)
    batch = decode(body)
    if batch.tenant != tenant:
        raise ValueError(f"{archive_key} belongs to another tenant")
    outcome = RestoreOutcome()
    for group in batch.groups:
        errors = restore_group(store, group)
        if errors:
            outcome.errors[group.id] = errors
        else:
            outcome.restored.append(group.id)
    return outcome


def restore_group(store: RecordsStore, group: Group) -> Errors:
    """Put the group back; the errors that kept it out (none when it is back)."""
    head, tails = split(group)
    for chunk in [*tails, head]:
        errors = _put_all(store, chunk)
        if errors:
            return errors
    return {}


def _put_all(store: RecordsStore, items: Sequence[Item]) -> Errors:
    pending = list(items)
    while pending:
        try:
            store.transact_write([_put_if_free(item) for item in pending])
            return {}
        except TransactionCancelled as cancelled:
            reasons = cancelled.reasons
            present = {i: _current(store, pending[i], reasons[i]) for i in failed_conditions(reasons)}
            conflicts = [pending[i] for i, current in present.items() if not same_image(current or {}, pending[i])]
            if conflicts:
                return conflict_errors(conflicts)
            pending = [item for i, item in enumerate(pending) if i not in present]  # already back
    return {}


def _put_if_free(item: Item) -> dict[str, Any]:
    return {"Put": {"Item": item, "ConditionExpression": _FREE, "ExpressionAttributeNames": {"#pk": "pk"},
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}


def _current(store: RecordsStore, item: Item, reason: Reason) -> Item | None:
    """The stored item that made a Put fail: from the cancellation reason, read when the endpoint omits it."""
    return reason.item if reason.item is not None else store.get(key_of(item))


def conflict_errors(conflicts: Sequence[Item]) -> Errors:
    """A taken guard is an error on its attribute; any record that exists again, on the id."""
    errors: Errors = {}
    for item in conflicts:
        if is_guard_key(item):
            errors.setdefault(guard_attribute(item), []).append(TAKEN)
        elif ALREADY_EXISTS not in errors.get("id", []):
            errors.setdefault("id", []).append(ALREADY_EXISTS)
    return errors
