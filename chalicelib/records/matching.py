"""Finds the items of a type that match conditions, reading no wider than its query plan says.

Conditions go to DynamoDB as a FilterExpression where they compile; the
residual is evaluated here with `matches`. Reads follow LastEvaluatedKey; a
plan's Queries (one per `_in` value on an index) run QUERY_READERS at once.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from chalicelib.catalog import ResourceType
from chalicelib.filters import Condition, compile_conditions, matches
from chalicelib.records.adapters.store import BATCH_GET_LIMIT, RecordsStore
from chalicelib.records.items import GUARD_HOLDER, Item, item_values, record_key
from chalicelib.records.query_plan import KeyQuery, Plan, plan
from chalicelib.tenancy import Tenant

QUERY_READERS = 8
T = TypeVar("T")


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
    if selected.ids is not None or selected.guards is not None:
        return _get(store, tenant, rtype, _keyed_ids(store, selected, stats), conditions, limit, stats)
    expression, residual = compile_conditions(conditions, prefix="f")
    wanted = None if attributes is None else {*attributes, *(a for c in residual for a in c.attributes)}

    def read(query: KeyQuery) -> tuple[list[Item], SelectionStats]:
        kept: list[Item] = []
        read_stats = SelectionStats()
        request = _request(query, expression, wanted)
        if limit is not None:
            # No filter: every item read matches, read no more than needed; a filter: no call examines more either
            request["Limit"] = limit + 1
        for page in store.query(**request):
            read_stats.calls += 1
            read_stats.scanned += page.get("ScannedCount", 0)
            kept.extend(i for i in page.get("Items", []) if not residual or matches(residual, item_values(i)))
            if limit is not None and len(kept) > limit:
                break
        return kept, read_stats
    found: list[Item] = []
    for kept, read_stats in _each_query(selected.queries, read):
        found.extend(kept)
        stats.calls += read_stats.calls
        stats.scanned += read_stats.scanned
    if limit is not None:
        found = found[:limit + 1]
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
    if selected.ids is not None or selected.guards is not None:
        stats = SelectionStats()
        items = _get(store, tenant, rtype, _keyed_ids(store, selected, stats), conditions, None, stats)
        found = sorted(items, key=lambda i: str(i["sk"]["S"]))
        return found[:size], len(found) > size
    expression, residual = compile_conditions(conditions, prefix="f")
    wanted = {*attributes, *(a for c in residual for a in c.attributes)}

    def read(query: KeyQuery) -> list[Item]:
        kept: list[Item] = []
        request = _request(query, expression, wanted)
        # A call examines at most a page and one: with no filter it returns them all, with one the rest of the
        # call past the page is not read (a 1 MB call would examine thousands of items the next page reads again).
        request["Limit"] = size + 1
        for page in store.query(**request):
            kept.extend(i for i in page.get("Items", []) if not residual or matches(residual, item_values(i)))
            if len(kept) > size:
                break
        return kept
    by_id = {item["sk"]["S"]: item for kept in _each_query(selected.queries, read) for item in kept}
    found = [by_id[i] for i in sorted(by_id)]
    return found[:size], len(found) > size


def _each_query(queries: Sequence[KeyQuery], read: Callable[[KeyQuery], T]) -> list[T]:
    """`read` of every query, QUERY_READERS at once (one Query per `_in` value: each waits on the network)."""
    if len(queries) < 2:
        return [read(query) for query in queries]
    with ThreadPoolExecutor(max_workers=min(QUERY_READERS, len(queries))) as pool:
        return list(pool.map(read, queries))


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


def _keyed_ids(store: RecordsStore, selected: Plan, stats: SelectionStats) -> Sequence[str]:
    """The plan's ids, or the record ids its unique guards name (their `record_id` only, by BatchGetItem)."""
    if selected.ids is not None:
        return selected.ids
    guards = list(selected.guards or ())
    found = store.batch_get(guards, "#r", {"#r": GUARD_HOLDER})
    stats.calls += -(-len(guards) // BATCH_GET_LIMIT)
    stats.scanned += len(found)
    return sorted({item[GUARD_HOLDER]["S"] for item in found if GUARD_HOLDER in item})


def _get(store: RecordsStore, tenant: Tenant, rtype: ResourceType, ids: Sequence[str],
         conditions: Sequence[Condition], limit: int | None, stats: SelectionStats) -> list[Item]:
    # Ids are bounded by the filter value: read whole items and evaluate every condition here.
    # An empty id names no record (and DynamoDB refuses an empty key).
    items = store.batch_get([record_key(tenant, rtype.name, i) for i in ids if i])
    stats.calls += -(-len(ids) // BATCH_GET_LIMIT)
    stats.scanned += len(items)
    found = [i for i in items if matches(conditions, item_values(i))]
    stats.matched = len(found)
    return found[:limit + 1] if limit is not None else found
