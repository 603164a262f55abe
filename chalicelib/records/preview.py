"""What a cleanup of a selection would delete, read without deleting: the dry run's read side.

The selection is the cleanup's own (`read_matching`, same plan, same cap), projected to the
few attributes a preview shows plus `children`. Associated records are found from the
`children` sets (docs/DESIGN.md, "Cascade") and checked by key, generation by generation,
as the cleanup's batch delete plans its groups (`cascade.plan_groups`): a stale entry (a
child deleted without its parent's set being updated) is not counted, a record reached
twice is counted once.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from chalicelib.catalog import get_type
from chalicelib.filters import Condition
from chalicelib.records.adapters.store import BATCH_GET_LIMIT, RecordsStore
from chalicelib.records.items import (
    CHILDREN,
    Item,
    Key,
    from_attribute_value,
    item_children,
    parse_child_ref,
    record_key,
)
from chalicelib.records.matching import SelectionStats, read_matching, read_page_items
from chalicelib.records.transact import chunked
from chalicelib.tenancy import Tenant

SHOWN = ("code", "name")  # what a sample entry carries besides the id, when the type has it
_KEYS_AND_CHILDREN = ("#pk, #sk, #ch", {"#pk": "pk", "#sk": "sk", "#ch": CHILDREN})
READERS = 8  # concurrent BatchGetItem calls of one generation: each waits on the network, not the CPU


@dataclass
class SelectionPreview:
    """The selection's ids (at most limit + 1), a sample of them, and associated records per type.

    `associated` names every type the cascade reaches from the selected type, 0 included.
    """

    ids: list[str] = field(default_factory=list)
    sample: list[dict[str, Any]] = field(default_factory=list)
    associated: dict[str, int] = field(default_factory=dict)


def preview(tenant: Tenant, type_name: str, conditions: Sequence[Condition], *, limit: int, sample_size: int,
            store: RecordsStore, stats: SelectionStats | None = None) -> SelectionPreview:
    """Over `limit` matches, only the ids are read (at most limit + 1): nothing else is counted."""
    rtype = get_type(type_name)
    shown = [name for name in SHOWN if name in rtype.attributes]
    items = sorted(read_matching(store, tenant, rtype, conditions, attributes=[CHILDREN, *shown], limit=limit,
                                 stats=stats), key=lambda i: str(i["sk"]["S"]))
    ids = [i["sk"]["S"] for i in items]
    if len(items) > limit:
        return SelectionPreview(ids=ids)
    return _counted(store, tenant, type_name, items, sample_size, stats)


def preview_page(tenant: Tenant, type_name: str, conditions: Sequence[Condition], *, after: str | None, size: int,
                 sample_size: int, store: RecordsStore) -> tuple[SelectionPreview, bool]:
    """Up to `size` matches above `after` (None: from the first) in id order, counted as `preview` counts, and
    whether more follow: a large cleanup's selection page (`select_page`) with its associated records."""
    rtype = get_type(type_name)
    shown = [name for name in SHOWN if name in rtype.attributes]
    past = [Condition("id_gt", ("id",), "gt", after)] if after is not None else []
    items, more = read_page_items(store, tenant, rtype, [*conditions, *past], size, attributes=[CHILDREN, *shown])
    return _counted(store, tenant, type_name, items, sample_size, None), more


def _counted(store: RecordsStore, tenant: Tenant, type_name: str, items: list[Item], sample_size: int,
             stats: SelectionStats | None) -> SelectionPreview:
    """`items` (in id order) with a sample of them and their associated records counted."""
    shown = [name for name in SHOWN if name in get_type(type_name).attributes]
    sample = [{"id": i["sk"]["S"], **{name: _value(i, name) for name in shown}} for i in items[:sample_size]]
    counted = count_associated(store, tenant, items, stats)
    associated = {name: counted.pop(name, 0) for name in associated_types(type_name)}
    return SelectionPreview(ids=[i["sk"]["S"] for i in items], sample=sample, associated={**associated, **counted})


def count_associated(store: RecordsStore, tenant: Tenant, roots: Iterable[Item],
                     stats: SelectionStats | None = None) -> dict[str, int]:
    """Existing records reachable through `children` from `roots`, per type (keys and `children` read only)."""
    counts: Counter[str] = Counter()
    seen: set[tuple[str, str]] = set()
    frontier = list(roots)
    while frontier:
        keys = []
        for item in frontier:
            for child_type, child_id in map(parse_child_ref, item_children(item)):
                if (child_type, child_id) not in seen:
                    seen.add((child_type, child_id))
                    keys.append(record_key(tenant, child_type, child_id))
        found = _existing(store, keys)
        if stats is not None:
            stats.calls += -(-len(keys) // BATCH_GET_LIMIT)
            stats.scanned += len(found)
        counts.update(_type_of(item) for item in found)
        frontier = [item for item in found if item_children(item)]
    return {name: counts[name] for name in sorted(counts)}


def associated_types(type_name: str) -> list[str]:
    """Every type a delete of `type_name` can reach through its cascades, in cascade order."""
    reached: list[str] = []
    pending = [type_name]
    while pending:
        for cascade in get_type(pending.pop(0)).cascades:
            if cascade.type not in reached:
                reached.append(cascade.type)
                pending.append(cascade.type)
    return reached


def _existing(store: RecordsStore, keys: Sequence[Key]) -> list[Item]:
    """The items that exist among `keys` (keys and `children` only), 100 keys a call, READERS calls at once."""
    projection, names = _KEYS_AND_CHILDREN
    chunks = chunked(keys, BATCH_GET_LIMIT)
    if len(chunks) <= 1:
        return store.batch_get(keys, projection=projection, names=names) if keys else []
    with ThreadPoolExecutor(max_workers=READERS) as pool:
        pages = pool.map(lambda chunk: store.batch_get(chunk, projection=projection, names=names), chunks)
        return [item for page in pages for item in page]


def _type_of(item: Item) -> str:
    return str(item["pk"]["S"]).rsplit("#", 1)[1]


def _value(item: Item, name: str) -> Any:
    return from_attribute_value(item[name]) if name in item else None
