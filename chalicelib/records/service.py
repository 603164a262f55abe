"""Record use cases: create, get, update, delete, list and select, per tenant and type.

Writes are ordered so that a crash leaves nothing a re-run cannot repair:
guards and parents' `children` first, the record last on create; on delete
the cascaded records first, then the record, then its guards.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.catalog import ResourceType, get_type
from chalicelib.exceptions import RecordNotFoundError
from chalicelib.filters import Condition
from chalicelib.records import links
from chalicelib.records.adapters.store import ConditionFailed, RecordsStore
from chalicelib.records.cascade import plan_deletions, write_order
from chalicelib.records.items import (
    INTERNAL,
    Item,
    build_item,
    item_children,
    item_guards,
    item_relationships,
    item_values,
    partition,
    record_key,
)
from chalicelib.records.matching import SelectionStats, read_matching, read_page
from chalicelib.records.model import (
    Record,
    clean_attributes,
    clean_relationships,
    derive,
    missing_related,
    record_from_item,
)
from chalicelib.records.sorting import sort_items
from chalicelib.tenancy import Tenant, iso, new_id, now


def _related_items(store: RecordsStore, tenant: Tenant, rtype: ResourceType,
                   relationships: Mapping[str, str | None]) -> dict[str, dict[str, Any]]:
    """The related records of hosted types, by relationship; one that does not exist is a 422."""
    wanted = {name: (rtype.relationships[name].target, related_id)
              for name, related_id in relationships.items()
              if related_id and rtype.relationships[name].hosted}
    found = {(item["pk"]["S"], item["sk"]["S"]): item
             for item in store.batch_get([record_key(tenant, t, i) for t, i in wanted.values()])}
    related = {}
    for name, (target, related_id) in sorted(wanted.items()):
        item = found.get((partition(tenant, target), related_id))
        if item is None:
            raise missing_related(name)
        related[name] = item_values(item)
    return related


def _fetch(store: RecordsStore, tenant: Tenant, type_name: str, ids: Sequence[str]) -> dict[str, Item]:
    return {item["sk"]["S"]: item for item in store.batch_get([record_key(tenant, type_name, i) for i in ids])}


def _existing(store: RecordsStore, tenant: Tenant, rtype: ResourceType, record_id: str) -> Item:
    item = store.get(record_key(tenant, rtype.name, record_id))
    if item is None:
        raise RecordNotFoundError(f"No {rtype.name} record with id {record_id!r}")
    return item


def create_record(tenant: Tenant, type_name: str, attributes: Mapping[str, Any],
                  relationships: Mapping[str, Any], *, store: RecordsStore) -> Record:
    rtype = get_type(type_name)
    values = clean_attributes(rtype, attributes, creating=True)
    related = clean_relationships(rtype, relationships, creating=True)
    related_values = _related_items(store, tenant, rtype, related)
    record_id, stamp = new_id(), iso(now())
    values = derive(rtype, {**values, "created_at": stamp, "updated_at": stamp}, related_values)
    item = build_item(tenant, rtype, record_id, values, related)
    guards = item_guards(tenant, rtype, item)
    links.claim_guards(store, tenant, rtype, record_id, guards)
    try:
        links.register_child(store, tenant, rtype, record_id, related)
    except Exception:
        for guard in guards.values():
            links.release_guard(store, guard, record_id)
        raise
    store.put(item, condition="attribute_not_exists(pk)")
    return record_from_item(rtype, item)


def get_record(tenant: Tenant, type_name: str, record_id: str, *, store: RecordsStore) -> Record:
    rtype = get_type(type_name)
    return record_from_item(rtype, _existing(store, tenant, rtype, record_id))


def update_record(tenant: Tenant, type_name: str, record_id: str, attributes: Mapping[str, Any],
                  relationships: Mapping[str, Any], *, store: RecordsStore) -> Record:
    rtype = get_type(type_name)
    old = _existing(store, tenant, rtype, record_id)
    current = item_values(old)
    changes = clean_attributes(rtype, attributes, creating=False, current=current)
    old_relationships = item_relationships(rtype, old)
    moved = {name: value for name, value in clean_relationships(rtype, relationships, creating=False).items()
             if value != old_relationships.get(name)}
    related_values = _related_items(store, tenant, rtype, moved)
    values = derive(rtype, {**current, **changes, "updated_at": iso(now())}, related_values)
    new = build_item(tenant, rtype, record_id, values, {**old_relationships, **moved}, item_children(old))
    old_guards, new_guards = item_guards(tenant, rtype, old), item_guards(tenant, rtype, new)
    claimed = {name: key for name, key in new_guards.items() if key not in old_guards.values()}
    links.claim_guards(store, tenant, rtype, record_id, claimed)
    links.register_child(store, tenant, rtype, record_id, moved)
    _write_changes(store, old, new)
    links.unregister_child(store, tenant, rtype, record_id, {n: old_relationships.get(n) for n in moved})
    for key in old_guards.values():
        if key not in new_guards.values():
            links.release_guard(store, key, record_id)
    return record_from_item(rtype, new)


def _write_changes(store: RecordsStore, old: Item, new: Item) -> None:
    """SET what changed, REMOVE what went; `children` is left to its ADD/DELETE updates."""
    kept = INTERNAL - {"pk", "sk", "children"}
    changed = [n for n, v in new.items() if (n not in INTERNAL or n in kept) and old.get(n) != v]
    gone = [n for n in old if (n not in INTERNAL or n in kept) and n not in new]
    names = {f"#a{i}": n for i, n in enumerate(changed + gone)}
    values = {f":a{i}": new[n] for i, n in enumerate(changed)}
    clauses = []
    if changed:
        clauses.append("SET " + ", ".join(f"#a{i} = :a{i}" for i in range(len(changed))))
    if gone:
        clauses.append("REMOVE " + ", ".join(f"#a{i}" for i in range(len(changed), len(changed) + len(gone))))
    try:
        store.update({"pk": old["pk"], "sk": old["sk"]}, " ".join(clauses), names=names, values=values,
                     condition="attribute_exists(pk)")
    except ConditionFailed:
        raise RecordNotFoundError("The record was deleted meanwhile") from None


def delete_record(tenant: Tenant, type_name: str, record_id: str, *, store: RecordsStore) -> None:
    rtype = get_type(type_name)
    item = _existing(store, tenant, rtype, record_id)
    deletions = plan_deletions(tenant, type_name, {record_id: item},
                               lambda t, ids: _fetch(store, tenant, t, ids))
    for keys in write_order(list(deletions.values())):
        store.batch_delete(keys)
    links.unregister_child(store, tenant, rtype, record_id, item_relationships(rtype, item))


def list_records(tenant: Tenant, type_name: str, conditions: Sequence[Condition], sort: Sequence[tuple[str, bool]],
                 page_number: int, page_size: int, *, store: RecordsStore) -> tuple[list[Record], int]:
    """The records of one page (in `sort` order, ties by id) and the total count of matches."""
    rtype = get_type(type_name)
    # Read only keys and sort fields of every match; whole items only for the page.
    matched = read_matching(store, tenant, rtype, conditions, attributes=[name for name, _ in sort])
    start = max(0, page_number - 1) * page_size
    page = [i["sk"]["S"] for i in sort_items(matched, sort)[start:start + page_size]]
    found = _fetch(store, tenant, type_name, page)
    return [record_from_item(rtype, found[i]) for i in page if i in found], len(matched)


def select_ids(tenant: Tenant, type_name: str, conditions: Sequence[Condition], *, limit: int | None = None,
               stats: SelectionStats | None = None, store: RecordsStore) -> list[str]:
    """Ids matching `conditions` in id order; with `limit`, at most limit + 1 of them are read."""
    rtype = get_type(type_name)
    items = read_matching(store, tenant, rtype, conditions, limit=limit, stats=stats)
    return sorted(i["sk"]["S"] for i in items)


def select_page(tenant: Tenant, type_name: str, conditions: Sequence[Condition], *, after: str | None, size: int,
                store: RecordsStore) -> tuple[list[str], bool]:
    """Up to `size` matching ids above `after` (None: from the first) in id order, and whether more follow."""
    past = [Condition("id_gt", ("id",), "gt", after)] if after is not None else []
    return read_page(store, tenant, get_type(type_name), [*conditions, *past], size)


def existing_ids(tenant: Tenant, type_name: str, ids: Sequence[str], *, store: RecordsStore) -> list[str]:
    """Those of `ids` that exist, in id order: their keys only, read by key (BatchGetItem)."""
    keys = [record_key(tenant, get_type(type_name).name, i) for i in ids]
    return sorted(item["sk"]["S"] for item in store.batch_get(keys, "#sk", {"#sk": "sk"}))
