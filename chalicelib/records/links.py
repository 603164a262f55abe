"""The items a record write keeps right besides the record: unique guards and parents' `children`.

Each step is a single conditional write, ordered by the callers so that a
crash leaves only what heals itself: a guard naming a record that no longer
holds its value is taken over, a `children` entry naming a record that is
gone is deleted as a no-op.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

from chalicelib.catalog import ResourceType
from chalicelib.records.adapters.store import ConditionFailed, RecordsStore
from chalicelib.records.items import CHILDREN, Key, cascade_parents, child_ref, record_key
from chalicelib.records.model import missing_related, taken
from chalicelib.tenancy import Tenant
from chalicelib.text import fold

_CLAIM_ATTEMPTS = 3


def claim_guard(store: RecordsStore, tenant: Tenant, rtype: ResourceType, attribute: str,
                guard: Key, record_id: str) -> None:
    """Make `guard` name `record_id`, or raise 422 when a live record holds the value."""
    for _ in range(_CLAIM_ATTEMPTS):
        try:
            store.put({**guard, "record_id": {"S": record_id}},
                      condition="attribute_not_exists(pk) OR record_id = :me", values={":me": {"S": record_id}})
            return
        except ConditionFailed:
            pass
        holder = (store.get(guard) or {}).get("record_id", {}).get("S")
        if holder is None:
            continue  # released meanwhile: claim again
        holding = store.get(record_key(tenant, rtype.name, holder))
        value = (holding or {}).get(attribute, {}).get("S")
        if value is not None and fold(value) == guard["sk"]["S"]:
            raise taken(attribute)
        try:  # stale guard: its record is gone or changed value
            store.put({**guard, "record_id": {"S": record_id}},
                      condition="record_id = :stale", values={":stale": {"S": holder}})
            return
        except ConditionFailed:
            continue
    raise taken(attribute)


def release_guard(store: RecordsStore, guard: Key, record_id: str) -> None:
    with contextlib.suppress(ConditionFailed):  # someone else's now
        store.delete(guard, condition="record_id = :me", values={":me": {"S": record_id}})


def claim_guards(store: RecordsStore, tenant: Tenant, rtype: ResourceType, record_id: str,
                 guards: Mapping[str, Key]) -> None:
    """Claim every guard (attribute -> key); on a conflict release the ones claimed here."""
    claimed: list[Key] = []
    try:
        for attribute, guard in guards.items():
            claim_guard(store, tenant, rtype, attribute, guard, record_id)
            claimed.append(guard)
    except Exception:
        for guard in claimed:
            release_guard(store, guard, record_id)
        raise


def _parents(tenant: Tenant, rtype: ResourceType, relationships: Mapping[str, str | None]) -> Iterator[tuple[str, Key]]:
    """(relationship name, parent key) for each cascading parent `relationships` names."""
    for name, parent_type in cascade_parents(rtype.name).items():
        parent_id = relationships.get(name)
        if parent_id:
            yield name, record_key(tenant, parent_type, parent_id)


def _update_children(store: RecordsStore, parent: Key, action: str, child: str) -> None:
    """ADD or DELETE `child` in the parent's `children`, if the parent exists."""
    store.update(parent, f"{action} #c :c", names={"#c": CHILDREN}, values={":c": {"SS": [child]}},
                 condition="attribute_exists(pk)")


def register_child(store: RecordsStore, tenant: Tenant, rtype: ResourceType, record_id: str,
                   relationships: Mapping[str, str | None]) -> None:
    """Add the record to its cascading parents' `children`; a missing parent is a 422 on the relationship."""
    for name, parent in _parents(tenant, rtype, relationships):
        try:
            _update_children(store, parent, "ADD", child_ref(rtype.name, record_id))
        except ConditionFailed:
            raise missing_related(name) from None


def unregister_child(store: RecordsStore, tenant: Tenant, rtype: ResourceType, record_id: str,
                     relationships: Mapping[str, str | None]) -> None:
    for _, parent in _parents(tenant, rtype, relationships):
        with contextlib.suppress(ConditionFailed):  # the parent is gone: nothing to keep right
            _update_children(store, parent, "DELETE", child_ref(rtype.name, record_id))
