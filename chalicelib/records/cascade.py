"""What deleting a record removes with it (the catalog's cascades), and in which order.

Pure: the items to read are fetched through a callback. A record's
`children` set names its cascaded records.

`plan_groups` (the cleanup worker's batch delete) reads the full stored image
of every generation and of every guard: the archive keeps them all, and a
root goes in one transaction with its group.

`plan_deletions` (deleting one record through the API) reads only child types
that cascade further or hold unique guards, the others are deleted by key.
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
    is_guard_key,
    item_children,
    item_guards,
    parse_child_ref,
    record_key,
)
from chalicelib.records.transact import Group, key_id
from chalicelib.tenancy import Tenant

# (type name, ids) -> the items that still exist, keyed by id
Fetch = Callable[[str, Sequence[str]], Mapping[str, Item]]
# keys -> the items that still exist among them
FetchKeys = Callable[[Sequence[Key]], list[Item]]


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


@dataclass
class _Planned:
    """What planning has found so far: the owning root and the type of every key asked for."""

    owner: dict[tuple[str, str], str] = field(default_factory=dict)
    type_of: dict[tuple[str, str], str] = field(default_factory=dict)
    holder: dict[tuple[str, str], str] = field(default_factory=dict)  # guard -> the record id holding it
    found: dict[str, list[Item]] = field(default_factory=lambda: defaultdict(list))

    def want(self, key: Key, root_id: str, type_name: str) -> bool:
        if key_id(key) in self.owner:
            return False  # already planned: under another root, or a cycle
        self.owner[key_id(key)] = root_id
        self.type_of[key_id(key)] = type_name
        return True


def plan_groups(tenant: Tenant, type_name: str, roots: Mapping[str, Item], fetch: FetchKeys) -> list[Group]:
    """One Group per root, in `roots` order; each generation (records and their guards) is one fetch."""
    planned = _Planned()
    for root_id in roots:
        planned.want(record_key(tenant, type_name, root_id), root_id, type_name)
    frontier = [(root_id, type_name, item) for root_id, item in roots.items()]
    while frontier:
        wanted = [key for owner, current, item in frontier for key in _wanted(tenant, planned, owner, current, item)]
        frontier = []
        for found in fetch(wanted) if wanted else []:
            root_id = planned.owner[key_id(found)]
            if is_guard_key(found):
                if found.get("record_id", {}).get("S") == planned.holder[key_id(found)]:
                    planned.found[root_id].append(found)
                continue  # a guard another record holds is that record's
            planned.found[root_id].append(found)
            frontier.append((root_id, planned.type_of[key_id(found)], found))
    return [_group(type_name, root_id, item, planned.found[root_id]) for root_id, item in roots.items()]


def _wanted(tenant: Tenant, planned: _Planned, root_id: str, type_name: str, item: Item) -> Iterator[Key]:
    for guard in item_guards(tenant, get_type(type_name), item).values():
        if planned.want(guard, root_id, type_name):
            planned.holder[key_id(guard)] = item["sk"]["S"]
            yield guard
    for child_type, child_id in map(parse_child_ref, item_children(item)):
        key = record_key(tenant, child_type, child_id)
        if planned.want(key, root_id, child_type):
            yield key


def _group(type_name: str, root_id: str, root: Item, found: list[Item]) -> Group:
    ordered = sorted(found, key=key_id)  # batch reads come back in any order; archives stay stable
    return Group(type_name, root_id, root, tuple(i for i in ordered if not is_guard_key(i)),
                 tuple(i for i in ordered if is_guard_key(i)))
