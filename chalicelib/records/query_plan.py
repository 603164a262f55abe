"""Query planning: which key reads answer a set of filter conditions.

Pure. The most selective condition a key can answer picks the reads: ids by
BatchGetItem, a unique attribute's `eq`/`in` (a sku's `code`) by its unique
guards (BatchGetItem: folded value -> record id, then the records by id), an id
range as a key condition on `sk`, `<relationship>_id` on its `rel<N>` index,
`code`/`reference` on their case-folded index (operands folded by
`chalicelib.text.fold`, as the index values are); anything else reads the
type's partition for the tenant, never wider. Every condition is still applied
to what the reads return, so a plan only narrows reads.
Why guards before the index: docs/DESIGN.md#long-membership-lists-by-key
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib.catalog import ResourceType
from chalicelib.filters import Condition
from chalicelib.limits import fits_key
from chalicelib.records.items import Key, guard_key, partition, rel_value
from chalicelib.tenancy import Tenant
from chalicelib.text import fold

LOWER_BOUNDS = ("gt", "gteq")
UPPER_BOUNDS = ("lt", "lteq")


@dataclass(frozen=True)
class KeyQuery:
    """One Query: a key condition on `index` (None: the table)."""

    index: str | None
    expression: str
    names: dict[str, str]
    values: dict[str, Any]


@dataclass(frozen=True)
class Plan:
    """Ids to get (`ids` not None), unique guards whose records to get (`guards` not None), or queries
    to run; `empty` reads nothing."""

    ids: tuple[str, ...] | None = None
    guards: tuple[Key, ...] | None = None
    queries: tuple[KeyQuery, ...] = ()
    empty: bool = False


def _single(conditions: Sequence[Condition], attribute: str, predicates: Sequence[str]) -> list[Condition]:
    return [c for c in conditions if c.attributes == (attribute,) and c.predicate in predicates]


def _as_list(value: Any) -> list[str]:
    return [str(v) for v in (value if isinstance(value, list | tuple) else [value])]


def _id_range(conditions: Sequence[Condition]) -> tuple[str, dict[str, Any]] | None | bool:
    """A key condition on `sk` from the id conditions; False when no id can match."""
    lower = [str(c.value) for c in _single(conditions, "id", LOWER_BOUNDS)]
    upper = [str(c.value) for c in _single(conditions, "id", UPPER_BOUNDS)]
    starts = [str(c.value) for c in _single(conditions, "id", ("start",))]
    if lower and upper:
        low, high = max(lower), min(upper)
        if low > high:
            return False
        # BETWEEN is inclusive: strict bounds read at most the two boundary items, the filter drops them.
        return "#sk BETWEEN :lo AND :hi", {":lo": {"S": low}, ":hi": {"S": high}}
    if starts:
        return "begins_with(#sk, :start)", {":start": {"S": starts[0]}}
    for predicate, pick, operator in (("gt", max, ">"), ("gteq", max, ">="), ("lt", min, "<"), ("lteq", min, "<=")):
        bounds = [str(c.value) for c in _single(conditions, "id", (predicate,))]
        if bounds:
            return f"#sk {operator} :bound", {":bound": {"S": pick(bounds)}}
    return None


def _with_range(hash_expression: str, names: dict[str, str], values: dict[str, Any],
                id_range: tuple[str, dict[str, Any]] | None) -> tuple[str, dict[str, str], dict[str, Any]]:
    if id_range is None:
        return hash_expression, names, values
    expression, range_values = id_range
    return f"{hash_expression} AND {expression}", {**names, "#sk": "sk"}, {**values, **range_values}


def _relationship_queries(tenant: Tenant, rtype: ResourceType, conditions: Sequence[Condition],
                          id_range: tuple[str, dict[str, Any]] | None) -> tuple[KeyQuery, ...] | None:
    for condition in conditions:
        if len(condition.attributes) != 1 or condition.predicate not in ("eq", "in"):
            continue
        relationship = rtype.relationship_by_key(condition.attributes[0])
        if relationship is None or relationship.index_slot is None:
            continue
        index = f"rel{relationship.index_slot}"
        queries = []
        for related_id in dict.fromkeys(_as_list(condition.value)):
            hashed = {":rel": {"S": rel_value(tenant, rtype.name, relationship.name, related_id)}}
            expression, names, values = _with_range("#rel = :rel", {"#rel": index}, hashed, id_range)
            queries.append(KeyQuery(index, expression, names, values))
        return tuple(queries)
    return None


def _folded_queries(tenant: Tenant, rtype: ResourceType,
                    conditions: Sequence[Condition]) -> tuple[KeyQuery, ...] | None:
    for attribute in ("code", "reference"):
        if attribute not in rtype.attributes:
            continue
        for condition in _single(conditions, attribute, ("eq", "in", "start")):
            folded = list(dict.fromkeys(fold(value) for value in _as_list(condition.value) if value))
            if not folded or not all(map(fits_key, folded)):
                continue  # DynamoDB refuses a key condition longer than a key: left to the filter
            operator = "begins_with(#ci, :ci)" if condition.predicate == "start" else "#ci = :ci"
            return tuple(
                KeyQuery(attribute, f"#pk = :pk AND {operator}", {"#pk": "pk", "#ci": f"{attribute}_ci"},
                         {":pk": {"S": partition(tenant, rtype.name)}, ":ci": {"S": value}})
                for value in folded)
    return None


def _guard_keys(tenant: Tenant, rtype: ResourceType, conditions: Sequence[Condition]) -> tuple[Key, ...] | None:
    """The unique guards naming every record a unique attribute's `eq`/`in` can match, one per folded value.

    A live record holding a unique value always has its guard (claimed before the record is written,
    released after), so the guards' records are a superset of the matches; a stale guard's record is
    dropped by the conditions. An empty operand has no guard (nor index key): left to the other plans.
    """
    for attribute in rtype.unique:
        for condition in _single(conditions, attribute, ("eq", "in")):
            values = _as_list(condition.value)
            folded = list(dict.fromkeys(fold(value) for value in values))
            if "" in folded or not all(map(fits_key, folded)):
                continue
            return tuple(guard_key(tenant, rtype.name, attribute, value) for value in folded)
    return None


def plan(tenant: Tenant, rtype: ResourceType, conditions: Sequence[Condition], *, by_id: bool = False) -> Plan:
    """The narrowest reads that return every record matching `conditions`; `by_id`: only reads that return
    ids in order (never the `code`/`reference` indexes; ids and guards are read whole, then sorted), for paging."""
    for condition in _single(conditions, "id", ("eq", "in")):
        return Plan(ids=tuple(sorted(set(_as_list(condition.value)))))
    guards = _guard_keys(tenant, rtype, conditions)
    if guards is not None:
        return Plan(guards=guards) if guards else Plan(empty=True)
    id_range = _id_range(conditions)
    if id_range is False:
        return Plan(empty=True)
    narrowed = id_range if isinstance(id_range, tuple) else None
    related = _relationship_queries(tenant, rtype, conditions, narrowed)
    if related is not None:
        return Plan(queries=related) if related else Plan(empty=True)
    if narrowed is None and not by_id:
        folded = _folded_queries(tenant, rtype, conditions)
        if folded is not None:
            return Plan(queries=folded)
    expression, names, values = _with_range(
        "#pk = :pk", {"#pk": "pk"}, {":pk": {"S": partition(tenant, rtype.name)}}, narrowed)
    return Plan(queries=(KeyQuery(None, expression, names, values),))
