"""Bulk-load realistic records for one tenant, fast, with BatchWriteItem.

Each sku comes with a price (and its volume tier) in one price list, a stock
item in one stock location and an item in a sku list. Items are built by the
same code `create_record` uses, so children sets, guards and index keys are
exactly what the API would have stored.

    python -m tools.seed --tenant-org <org_id> --mode test --skus 100000
"""
from __future__ import annotations

import argparse
import secrets
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from chalicelib.catalog import get_type
from chalicelib.records.adapters.store import RecordsStore
from chalicelib.records.items import Item, build_item, child_ref, item_guards
from chalicelib.records.model import clean_attributes, derive
from chalicelib.tenancy import Tenant, iso, new_id, now

CHUNK_SKUS = 200  # skus whose items go in one write task


@dataclass
class SeedSummary:
    counts: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    tag: str = ""
    parents: dict[str, str] = field(default_factory=dict)  # parent type -> id of the shared one
    sku_lists: list[str] = field(default_factory=list)


# Items are stamped a millisecond apart from a day ago: even millions of them stay older than a cleanup
# created right after the seeding, which would otherwise report the newest as modified after it.
STAMPED_FROM = timedelta(days=1)


class _Builder:
    """Builds items as `create_record` would, stamping each with its own time."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self.start = now() - STAMPED_FROM
        self.related: dict[str, dict[str, Any]] = {}  # id -> attributes, for derived values

    def item(self, type_name: str, number: int, attributes: Mapping[str, Any],
             relationships: Mapping[str, str | None], *, record_id: str | None = None,
             children: Sequence[str] = ()) -> Item:
        rtype = get_type(type_name)
        stamp = iso(self.start + timedelta(milliseconds=number))
        values = {**clean_attributes(rtype, attributes, creating=True), "created_at": stamp, "updated_at": stamp}
        related = {name: self.related[related_id] for name, related_id in relationships.items()
                   if related_id in self.related}
        return build_item(self.tenant, rtype, record_id or new_id(), derive(rtype, values, related),
                          relationships, children)


@dataclass(frozen=True)
class _Plan:
    """The shared parents and the ids fixed before writing, so parents carry their children."""

    tag: str
    parents: dict[str, str]
    sku_lists: list[str]
    entries: list[str]  # sku list item id of sku number n
    per_list: int
    associated: bool  # False: skus alone, in their shipping category
    frequency_tiers: bool = False  # True: each price also has a frequency tier (five associated records a sku)


def _parent_items(builder: _Builder, plan: _Plan) -> list[Item]:
    specs: dict[str, tuple[dict[str, Any], dict[str, str | None]]] = {
        "shipping_categories": ({"name": f"Seed {plan.tag} shipping", "code": f"seed-{plan.tag}"}, {}),
        "price_lists": ({"name": f"Seed {plan.tag}", "code": f"seed-{plan.tag}", "currency_code": "EUR"}, {}),
        "stock_locations": ({"name": f"Seed {plan.tag} warehouse"}, {"address": new_id()}),
    }
    items = []
    for type_name, (attributes, relationships) in specs.items():
        if type_name not in plan.parents:
            continue
        builder.related[plan.parents[type_name]] = attributes
        items.append(builder.item(type_name, 0, attributes, relationships, record_id=plan.parents[type_name]))
    for n, list_id in enumerate(plan.sku_lists):
        entries = plan.entries[n * plan.per_list:(n + 1) * plan.per_list]
        items.append(builder.item("sku_lists", n, {"name": f"Seed {plan.tag} list {n}", "manual": True}, {},
                                  record_id=list_id, children=[child_ref("sku_list_items", e) for e in entries]))
    return items


def _sku_items(builder: _Builder, plan: _Plan, n: int) -> list[Item]:
    sku_id, price_id, tier_id, stock_id = new_id(), new_id(), new_id(), new_id()
    if not plan.associated:
        return _with_guards(builder, _sku(builder, plan, n, sku_id, children=[]), sku_id)
    entry_id = plan.entries[n]
    frequency = [builder.item("price_frequency_tiers", n, {"name": "monthly", "up_to": 30, "price_amount_cents": 950},
                              {"price": price_id})] if plan.frequency_tiers else []
    items = [
        *frequency,
        builder.item("price_volume_tiers", n, {"name": "10+", "up_to": 10, "price_amount_cents": 900 + n % 9000},
                     {"price": price_id}, record_id=tier_id),
        builder.item("prices", n, {"amount_cents": 1000 + n % 9000},
                     {"sku": sku_id, "price_list": plan.parents["price_lists"]}, record_id=price_id,
                     children=[child_ref("price_volume_tiers", tier_id),
                               *(child_ref("price_frequency_tiers", f["sk"]["S"]) for f in frequency)]),
        builder.item("stock_items", n, {"quantity": n % 500},
                     {"sku": sku_id, "stock_location": plan.parents["stock_locations"]}, record_id=stock_id),
        builder.item("sku_list_items", n, {"position": n % plan.per_list, "quantity": 1},
                     {"sku": sku_id, "sku_list": plan.sku_lists[n // plan.per_list]}, record_id=entry_id),
    ]
    sku = _sku(builder, plan, n, sku_id, children=[child_ref("prices", price_id), child_ref("stock_items", stock_id),
                                                   child_ref("sku_list_items", entry_id)])
    return [*items, *_with_guards(builder, sku, sku_id)]


def _sku(builder: _Builder, plan: _Plan, n: int, sku_id: str, children: Sequence[str]) -> Item:
    return builder.item("skus", n, {"code": f"SEED-{plan.tag}-{n:07d}", "name": f"Seed sku {n}",
                                    "reference": f"seed-{plan.tag}"},
                        {"shipping_category": plan.parents["shipping_categories"]}, record_id=sku_id,
                        children=children)


def _with_guards(builder: _Builder, sku: Item, sku_id: str) -> list[Item]:
    """The sku and the items that keep its unique attributes unique (its `code`)."""
    guards = item_guards(builder.tenant, get_type("skus"), sku).values()
    return [sku, *({**key, "record_id": {"S": sku_id}} for key in guards)]


def _chunks(builder: _Builder, plan: _Plan, skus: int) -> Iterator[list[Item]]:
    for start in range(0, skus, CHUNK_SKUS):
        yield [item for n in range(start, min(skus, start + CHUNK_SKUS)) for item in _sku_items(builder, plan, n)]


def _kind(item: Item) -> str:
    # pk is "{org}#{mode}#{type}" for records, "...#{type}#unique#{attribute}" for guards
    return item["pk"]["S"].split("#", 2)[2].replace("#unique#", " guards on ")


def seed(tenant: Tenant, *, skus: int = 1000, skus_per_list: int = 1000, workers: int = 4,
         store: RecordsStore | None = None, associated: bool = True, frequency_tiers: bool = False) -> SeedSummary:
    """Load `skus` skus with their associated records (unless `associated` is False: skus alone);
    each sku list holds `skus_per_list` of them; `frequency_tiers` adds one to each price."""
    store = store or RecordsStore()
    started = time.monotonic()
    builder = _Builder(tenant)
    parent_types = ("shipping_categories", "price_lists", "stock_locations") if associated else ("shipping_categories",)
    lists = -(-skus // max(1, skus_per_list)) if associated else 0
    plan = _Plan(tag=secrets.token_hex(3), per_list=max(1, skus_per_list), associated=associated,
                 frequency_tiers=frequency_tiers,
                 parents={t: new_id() for t in parent_types}, sku_lists=[new_id() for _ in range(lists)],
                 entries=[new_id() for _ in range(skus)] if associated else [])
    summary = SeedSummary(tag=plan.tag, parents=dict(plan.parents), sku_lists=list(plan.sku_lists))
    # Parents first: a crash half-way leaves no record pointing at a missing parent.
    parents = _parent_items(builder, plan)
    store.batch_put(parents)
    summary.counts.update(map(_kind, parents))
    pending: list[Future[None]] = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for items in _chunks(builder, plan, skus):
            summary.counts.update(map(_kind, items))
            pending.append(pool.submit(store.batch_put, items))
            while len(pending) > workers * 2:  # bounded memory: wait for the oldest write
                pending.pop(0).result()
        for future in pending:
            future.result()
    summary.seconds = time.monotonic() - started
    return summary


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenant-org", required=True, help="organization id owning the records")
    parser.add_argument("--mode", choices=("test", "live"), default="test")
    parser.add_argument("--skus", type=int, default=1000)
    parser.add_argument("--skus-per-list", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--skus-only", action="store_true", help="skus without prices, stock or list items")
    args = parser.parse_args(argv)
    summary = seed(Tenant(args.tenant_org, args.mode), skus=args.skus, skus_per_list=args.skus_per_list,
                   workers=args.workers, associated=not args.skus_only)
    total = sum(summary.counts.values())
    for kind, count in sorted(summary.counts.items()):
        print(f"{kind:>40}: {count}")
    print(f"loaded {total} items (tag {summary.tag}) in {summary.seconds:.1f}s "
          f"({total / max(summary.seconds, 1e-9):.0f} items/s)")
    print("parents: " + ", ".join(f"{t}={i}" for t, i in sorted(summary.parents.items())))


if __name__ == "__main__":
    main()
