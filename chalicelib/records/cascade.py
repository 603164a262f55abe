"""What deleting a record removes with it (Commerce Layer's cascade, as the README's table lists), and in which order.

Pure: the records to read are fetched through a callback. A record's
`children` set names its cascaded records; only child types that cascade
further or hold unique guards are read, the others are deleted by key.
Writes go deepest level first, then the records' unique guards, so a crash
half-way always leaves the root in place to find the rest from on a re-run.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from chalicelib.catalog import get_type
from chalicelib.records.items import (
    Item,
    Key,
    item_children,
    item_guards,
    parse_child_ref,
    record_key,
)
from chalicelib.tenancy import Tenant

# (type name, ids) -> the items that still exist, keyed by id
Fetch = Callable[[str, Sequence[str]], Mapping[str, Item]]


@dataclass
class Deletion:
    """Everything deleting one root removes: `levels[0]` is the root, `levels[n]` its n-th generation."""

    levels: list[list[Key]] = field(default_factory=list)
    guards: list[Key] = field(default_factory=list)

    def add(self, depth: int, key: Key) -> None:
        while len(self.levels) <= depth:
            self.levels.append([])
        self.levels[depth].append(key)


def _needs_read(type_name: str) -> bool:
    child = get_type(type_name)
    return bool(child.cascades or child.unique)


def plan_deletions(tenant: Tenant, type_name: str, roots: Mapping[str, Item], fetch: Fetch) -> dict[str, Deletion]:
    """One Deletion per root id; every generation of the same type is read in one fetch."""
    deletions = {root_id: Deletion() for root_id in roots}
    frontier = [(root_id, type_name, item) for root_id, item in roots.items()]
    depth = 0
    while frontier:
        to_read: dict[str, dict[str, str]] = defaultdict(dict)  # type -> child id -> root id
        for root_id, current_type, item in frontier:
            deletion = deletions[root_id]
            deletion.add(depth, record_key(tenant, current_type, item["sk"]["S"]))
            deletion.guards.extend(item_guards(tenant, get_type(current_type), item).values())
            for child_type, child_id in map(parse_child_ref, item_children(item)):
                if _needs_read(child_type):
                    to_read[child_type][child_id] = root_id
                else:
                    deletion.add(depth + 1, record_key(tenant, child_type, child_id))
        frontier = []
        for child_type, owners in to_read.items():
            found = fetch(child_type, sorted(owners))
            frontier.extend((owners[child_id], child_type, item) for child_id, item in found.items())
        depth += 1
    return deletions


def write_order(deletions: Sequence[Deletion]) -> Iterator[list[Key]]:
    """Key groups to delete one after the other: deepest generation first, guards last.

    A group is finished (unprocessed items retried) before the next starts.
    """
    depth = max((len(d.levels) for d in deletions), default=0)
    for level in range(depth - 1, -1, -1):
        keys = [key for d in deletions if level < len(d.levels) for key in d.levels[level]]
        if keys:
            yield keys
    guards = [key for d in deletions for key in d.guards]
    if guards:
        yield guards
