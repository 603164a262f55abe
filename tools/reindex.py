"""Re-index a records table for the case fold (`chalicelib.text.fold`): once per stage, after deploying it.

Scans every item by pages. For each record, rewrites `code_ci` / `reference_ci` where the stored value
is not the folded attribute, and moves each unique guard from its old key (`str.lower()`) to the folded
one. Writes are conditional (the value unchanged, the guard still this record's), so the service keeps
running. A rerun rewrites nothing already done. Values that now fold alike in two records (`ΑΣ-9` and
`Ασ-9`, `Straße` and `STRASSE`) are conflicts: left as they are and listed, exit status 1 (rename one
record, then rerun). `--dry-run` reads and counts, writing nothing.

    python -m tools.reindex --table cleanups-prod-records --dry-run
    python -m tools.reindex --table cleanups-prod-records
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from chalicelib.catalog import ResourceType, hosted_types
from chalicelib.exceptions import ValidationError
from chalicelib.limits import fits_key
from chalicelib.records import RecordsStore
from chalicelib.records.adapters.store import ConditionFailed
from chalicelib.records.items import CASE_FOLDED_INDEXES, GUARD_MARK, Item, Key, guard_key, record_key
from chalicelib.records.links import claim_guard, release_guard
from chalicelib.records.transact import key_id, key_of
from chalicelib.tenancy import Tenant
from chalicelib.text import fold


def old_fold(text: str) -> str:
    """The index value and guard key before `fold`: context-sensitive (`ΑΣ` became `ας`)."""
    return text.lower()


@dataclass
class Report:
    """What a run did (or, dry, would do)."""

    items: int = 0
    records: int = 0
    rewritten: Counter[str] = field(default_factory=Counter)  # index attribute -> values rewritten
    guards_moved: int = 0
    changed_meanwhile: int = 0  # changed or deleted under the run: the service wrote the folded value
    conflicts: list[str] = field(default_factory=list)
    too_long: list[str] = field(default_factory=list)  # folded, longer than a DynamoDB key: not indexed


@dataclass
class _Run:
    store: RecordsStore
    dry_run: bool
    report: Report = field(default_factory=Report)
    claimed: dict[tuple[str, str], str] = field(default_factory=dict)  # folded guard -> record (dry: would)


def _pages(store: RecordsStore, page_size: int) -> Iterator[list[Item]]:
    """Every item, a Scan page at a time, with only the attributes a re-index reads."""
    unique = {name for rtype in hosted_types().values() for name in rtype.unique}
    projected = sorted({"pk", "sk", *CASE_FOLDED_INDEXES, *(f"{n}_ci" for n in CASE_FOLDED_INDEXES), *unique})
    request = {"TableName": store.table, "Limit": page_size,
               "ProjectionExpression": ", ".join(f"#n{i}" for i in range(len(projected))),
               "ExpressionAttributeNames": {f"#n{i}": name for i, name in enumerate(projected)}}
    while True:
        page = store.client.scan(**request)
        yield page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _record_of(item: Item) -> tuple[Tenant, ResourceType] | None:
    """The tenant and type of a record item (`{org}#{mode}#{type}`); None for a guard or anything else."""
    pk = item["pk"]["S"]
    parts = pk.split("#", 2)
    if GUARD_MARK in pk or len(parts) != 3 or parts[2] not in hosted_types():
        return None
    return Tenant(parts[0], parts[1]), hosted_types()[parts[2]]


def _where(tenant: Tenant, rtype: ResourceType, item: Item) -> str:
    return f"{tenant.key} {rtype.name} {item['sk']['S']}"


def _reindex_values(run: _Run, tenant: Tenant, rtype: ResourceType, item: Item) -> None:
    """SET each `<name>_ci` that is not the folded value, if the value is still the one read."""
    changes: dict[str, str] = {}
    for name in CASE_FOLDED_INDEXES:
        value = item.get(name, {}).get("S")
        if not value or item.get(f"{name}_ci", {}).get("S") == fold(value):
            continue
        if fits_key(fold(value)):
            changes[name] = fold(value)
        else:
            run.report.too_long.append(f"{_where(tenant, rtype, item)}: {name} {value!r}")
    if changes and not run.dry_run:
        names = {f"#{kind}{i}": f"{name}{suffix}" for i, name in enumerate(changes)
                 for kind, suffix in (("a", ""), ("c", "_ci"))}
        values = {**{f":a{i}": item[name] for i, name in enumerate(changes)},
                  **{f":c{i}": {"S": folded} for i, folded in enumerate(changes.values())}}
        try:
            run.store.update(key_of(item), "SET " + ", ".join(f"#c{i} = :c{i}" for i in range(len(changes))),
                             names, values, condition=" AND ".join(f"#a{i} = :a{i}" for i in range(len(changes))))
        except ConditionFailed:
            run.report.changed_meanwhile += 1
            return
    run.report.rewritten.update(changes.keys())


def _holder(store: RecordsStore, guard: Key) -> str | None:
    return (store.get(guard) or {}).get("record_id", {}).get("S")


def _live_holder(run: _Run, tenant: Tenant, rtype: ResourceType, attribute: str, guard: Key) -> str | None:
    """The record holding the folded value under `guard`: one whose value still folds to its key."""
    holder = _holder(run.store, guard)
    holding = run.store.get(record_key(tenant, rtype.name, holder)) if holder else None
    value = (holding or {}).get(attribute, {}).get("S")
    return holder if value is not None and fold(value) == guard["sk"]["S"] else None


def _move_guard(run: _Run, tenant: Tenant, rtype: ResourceType, attribute: str, item: Item) -> None:
    """Take the folded guard for the record, then release the old one; a value held by another is a conflict."""
    value, record_id = item.get(attribute, {}).get("S"), item["sk"]["S"]
    if not value or old_fold(value) == fold(value) or not fits_key(fold(value)):
        return
    new = guard_key(tenant, rtype.name, attribute, value)
    old = {"pk": new["pk"], "sk": {"S": old_fold(value)}}
    if _holder(run.store, old) != record_id:
        return  # moved by an earlier run, or never this record's
    holder = _live_holder(run, tenant, rtype, attribute, new) or run.claimed.get(key_id(new))
    taken = holder not in (None, record_id)
    if not taken and not run.dry_run:
        try:
            claim_guard(run.store, tenant, rtype, attribute, new, record_id)
        except ValidationError:
            taken, holder = True, _holder(run.store, new)  # taken meanwhile
    if taken:
        run.report.conflicts.append(f"{_where(tenant, rtype, item)}: {attribute} {value!r} folds to "
                                    f"{fold(value)!r}, which record {holder} holds")
        return
    run.claimed[key_id(new)] = record_id
    if not run.dry_run:
        release_guard(run.store, old, record_id)
    run.report.guards_moved += 1


def reindex(store: RecordsStore, *, dry_run: bool = False, page_size: int = 500) -> Report:
    """Fold every record's index values and guards in `store`'s table; with `dry_run`, count only."""
    run = _Run(store, dry_run)
    for page in _pages(store, page_size):
        for item in page:
            run.report.items += 1
            located = _record_of(item)
            if located is None:
                continue
            run.report.records += 1
            tenant, rtype = located
            _reindex_values(run, tenant, rtype, item)
            for attribute in rtype.unique:
                _move_guard(run, tenant, rtype, attribute, item)
        print(f"scanned {run.report.items} items", file=sys.stderr, flush=True)
    return run.report


def _print(report: Report, dry_run: bool) -> None:
    done = "to rewrite" if dry_run else "rewritten"
    print(f"{'dry run, nothing written: ' if dry_run else ''}{report.items} items, {report.records} records")
    for name in CASE_FOLDED_INDEXES:
        print(f"{name}_ci {done}: {report.rewritten[name]}")
    print(f"guards {'to move' if dry_run else 'moved'}: {report.guards_moved}")
    print(f"changed or deleted meanwhile (left to the service): {report.changed_meanwhile}")
    for title, lines in (("conflicts (rename one record, then rerun)", report.conflicts),
                         ("too long to index once folded (shorten, then rerun)", report.too_long)):
        print(f"{title}: {len(lines)}")
        for line in lines:
            print(f"  {line}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.reindex", description=__doc__.splitlines()[0])
    parser.add_argument("--table", required=True, help="the records table, cleanups-<stage>-records")
    parser.add_argument("--dry-run", action="store_true", help="count what would change, write nothing")
    parser.add_argument("--page-size", type=int, default=500, help="items per Scan page")
    args = parser.parse_args(argv)
    report = reindex(RecordsStore(table=args.table), dry_run=args.dry_run, page_size=args.page_size)
    _print(report, args.dry_run)
    return 1 if report.conflicts or report.too_long else 0


if __name__ == "__main__":
    sys.exit(main())
