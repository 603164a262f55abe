"""Row `list_cleanups_cost`: DynamoDB items read by page 1 of GET /api/cleanups among 1,000 and 10,000 cleanups.

The finished cleanups are written through the repository (a create that matched nothing:
born completed, as the API stores one). Among the first 1,000, page 1 is read over HTTP on the
stack, items read counted from DynamoDB's responses (`bench.calls.items_read`): the default list
and `filter[q][status_eq]=completed` (read by key), and `sort=-updated_at`, which no key answers:
it reads every cleanup of the tenant, the cost every list had before. At 1,000 and again at
10,000, `sort=-created_at` and `sort=created_at` (the `created_at` index); the newest-first page
is checked against the newest cleanups seeded. Goal: every keyed page reads at most twice the
page size (the token's application lookup included). `BENCH_LIST_CLEANUPS=200,1000` sizes it.

`python -m bench.list_cleanups_cost` runs this row alone on DynamoDB Local.
"""
from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from typing import Any

from bench import calls
from bench.stack import DEV_TEST_CLIENT, Api, BenchStack, progress, tenant_of
from chalicelib.cleanups.adapters.store import DynamoCleanupRepository
from chalicelib.cleanups.domain.model import Cleanup, complete
from chalicelib.events import add_recorded, expire_recorded
from chalicelib.events.model import recorded_create
from chalicelib.jsonapi.query import DEFAULT_PAGE_SIZE
from chalicelib.tenancy import Tenant, iso, new_id

SIZES = (1000, 10000)
GOAL = 2.0  # items read per item of the page
PAGES = {"items_read": "/api/cleanups", "status_items_read": "/api/cleanups?filter[q][status_eq]=completed",
         "unkeyed_items_read": "/api/cleanups?sort=-updated_at"}
BY_CREATION = {"items_read_newest_first": "/api/cleanups?sort=-created_at",
               "items_read_oldest_first": "/api/cleanups?sort=created_at"}


def seed_finished(tenant: Tenant, count: int) -> list[Cleanup]:
    repository = DynamoCleanupRepository(add_recorded, expire_recorded)
    seeded = []
    for _ in range(count):
        moment = datetime.now(UTC)
        cleanup = complete(Cleanup(tenant=tenant, id=new_id(), resource_type="skus", filters={"code_eq": "none"},
                                   created_at=iso(moment), updated_at=iso(moment)), moment)
        repository.save_new(cleanup, [], recorded_create(cleanup, cleanup.created_at), 10)
        seeded.append(cleanup)
    return seeded


def items_read(api: Api, path: str) -> tuple[int, dict[str, Any]]:
    before = calls.items_read()
    response = api.call("GET", path)
    response.raise_for_status()
    return sum(calls.delta(before, calls.items_read()).values()), response.json()


def sizes() -> tuple[int, ...]:
    raw = os.environ.get("BENCH_LIST_CLEANUPS")
    return tuple(sorted(int(size) for size in raw.split(","))) if raw else SIZES


def run(api: Api, tenant: Tenant, backend: str, note: str = "") -> dict[str, Any]:
    counts = sizes()
    row: dict[str, Any] = {"name": "list_cleanups_cost", "finished_cleanups": counts[0],
                           "page_size": DEFAULT_PAGE_SIZE}
    seeded: list[Cleanup] = []
    for count in counts:
        progress(f"[{backend}] list_cleanups_cost: {count} finished cleanups")
        seeded += seed_finished(tenant, count - len(seeded))
        if count == counts[0]:
            for figure, path in PAGES.items():
                row[figure], answer = items_read(api, path)
                row.setdefault("record_count", answer["meta"]["record_count"])
        newest = [c.id for c in sorted(sorted(seeded, key=lambda c: c.id), key=lambda c: c.created_at, reverse=True)]
        for figure, path in BY_CREATION.items():
            read, answer = items_read(api, path)
            row.setdefault(figure, {})[str(count)] = read
            if figure == "items_read_newest_first":
                row.setdefault("newest_first_is_the_newest", {})[str(count)] = (
                    [item["id"] for item in answer["data"]] == newest[:DEFAULT_PAGE_SIZE])
    by_creation = [read for figure in BY_CREATION for read in row[figure].values()]
    row.update({"read_vs_page": round(row["items_read"] / DEFAULT_PAGE_SIZE, 2),
                "newest_first_read_vs_page": round(max(by_creation) / DEFAULT_PAGE_SIZE, 2),
                "read_vs_page_goal": GOAL, "backend": backend})
    if note:
        row["note"] = note
    return row


def main() -> int:
    stack = BenchStack("dynamodb-local", workers=1).start()
    try:
        print(json.dumps(run(Api(stack.api_url, DEV_TEST_CLIENT), tenant_of(DEV_TEST_CLIENT), "dynamodb-local")),
              file=sys.stdout, flush=True)
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
