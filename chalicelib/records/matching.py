"""Finds the items of a type that match conditions, reading no wider than its query plan says.

Conditions go to DynamoDB as a FilterExpression where they compile; the
residual is evaluated here with `matches`. Reads follow LastEvaluatedKey.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib.catalog import ResourceType
from chalicelib.filters import Condition, compile_conditions, matches
from chalicelib.records.adapters.store import RecordsStore
from chalicelib.records.items import Item, item_values, record_key
from chalicelib.records.query_plan import KeyQuery, plan
from chalicelib.tenancy import Tenant


@dataclass
class SelectionStats:
    """What a selection read: items DynamoDB examined (ScannedCount summed), items kept, calls."""

    scanned: int = 0
    matched: int = 0
    calls: int = 0


def _projection(attributes: Iterable[str]) -> tuple[str, dict[str, str]]:
    names = {f"#p{n}": name for n, name in enumerate(sorted({"sk", *attributes}))}
    return ", ".join(names), names


def read_matching(store: RecordsStore, tenant: Tenant, rtype: ResourceType, conditions: Sequence[Condition], *,
                  attributes: Iterable[str] | None = (), limit: int | None = None,
                  stats: SelectionStats | None = None) -> list[Item]:
    """Items matching every condition; `attributes` to project besides `sk` (None: whole items).

    With `limit`, reading stops once more than `limit` items matched.
    """
    stats = stats if stats is not None else SelectionStats()
    selected = plan(tenant, rtype, conditions)
    if selected.empty:
        return []
    if selected.ids is not None:
        return _get(store, tenant, rtype, selected.ids, conditions, limit, stats)
    expression, residual = compile_conditions(conditions, prefix="f")
    wanted = None if attributes is None else {*attributes, *(a for c in residual for a in c.attributes)}
    found: list[Item] = []
    for query in selected.queries:
        request = _request(query, expression, wanted)
        if limit is not None and expression is None and not residual:
            request["Limit"] = limit + 1 - len(found)  # every item read matches: read no more than needed
        for page in store.query(**request):
            stats.calls += 1
            stats.scanned += page.get("ScannedCount", 0)
            found.extend(i for i in page.get("Items", []) if not residual or matches(residual, item_values(i)))
            if limit is not None and len(found) > limit:
                stats.matched = limit + 1
                return found[:limit + 1]
    stats.matched = len(found)
    return found


def read_page(store: RecordsStore, tenant: Tenant, rtype: ResourceType, conditions: Sequence[Condition],
              size: int) -> tuple[list[str], bool]:
    """The `size` smallest matching ids, and whether more match past them (`read_page_items`, ids only)."""
    items, more = read_page_items(store, tenant, rtype, conditions, size)
    return [i["sk"]["S"] for i in items], more


def read_page_items(store: RecordsStore, tenant: Tenant, rtype: ResourceType, conditions: Sequence[Condition],
                    size: int, attributes: Iterable[str] = ()) -> tuple[list[Item], bool]:
    """The `size` matching items of smallest id (`sk` and `attributes` projected), in id order, and whether more
    match past them.

    Each query reads in id order (the table and the `rel<N>` indexes sort on `sk`; the `code` and
    `reference` indexes are left out) and stops past `size` matches: what it leaves unread is above
    `size` of its own matches, so above the page. Memory holds about a page, whatever matches.
    """
    selected = plan(tenant, rtype, conditions, by_id=True)
    if selected.empty:
        return [], False
    if selected.ids is not None:
        items = _get(store, tenant, rtype, selected.ids, conditions, None, SelectionStats())
        found = sorted(items, key=lambda i: str(i["sk"]["S"]))
        return found[:size], len(found) > size
    expression, residual = compile_conditions(conditions, prefix="f")
    by_id: dict[str, Item] = {}
    for query in selected.queries:
        read, request = 0, _request(query, expression, {*attributes, *(a for c in residual for a in c.attributes)})
        if expression is None and not residual:
            request["Limit"] = size + 1  # every item read matches: read no more than a page
        for page in store.query(**request):
            kept = [i for i in page.get("Items", []) if not residual or matches(residual, item_values(i))]
            by_id.update((i["sk"]["S"], i) for i in kept)
            read += len(kept)
            if read > size:
                break
    found = [by_id[i] for i in sorted(by_id)]
    return found[:size], len(found) > size


def _request(query: KeyQuery, expression: Any, wanted: set[str] | None) -> dict[str, Any]:
    names = dict(query.names)
    values = dict(query.values)
    request: dict[str, Any] = {"KeyConditionExpression": query.expression}
    if query.index is not None:
        request["IndexName"] = query.index
    if expression is not None:
        request["FilterExpression"] = expression.text
        names.update(expression.names)
        values.update(expression.values)
    if wanted is not None:
        request["ProjectionExpression"], projected = _projection(wanted)
        names.update(projected)
    request["ExpressionAttributeNames"] = names
    request["ExpressionAttributeValues"] = values
    return request


def _get(store: RecordsStore, tenant: Tenant, rtype: ResourceType, ids: Sequence[str],
         conditions: Sequence[Condition], limit: int | None, stats: SelectionStats) -> list[Item]:
    # Ids are bounded by the filter value: read whole items and evaluate every condition here.
    # An empty id names no record (and DynamoDB refuses an empty key).
    items = store.batch_get([record_key(tenant, rtype.name, i) for i in ids if i])
    stats.calls += -(-len(ids) // 100)
    stats.scanned += len(items)
    found = [i for i in items if matches(conditions, item_values(i))]
    stats.matched = len(found)
    return found[:limit + 1] if limit is not None else found
