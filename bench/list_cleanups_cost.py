"""Row `list_cleanups_cost`: DynamoDB items read by page 1 of GET /api/cleanups with 1,000 finished cleanups.

The finished cleanups are written through the repository (a create that matched nothing:
born completed, as the API stores one). The same page is then read three ways over HTTP on
the stack, items read counted from DynamoDB's responses (`bench.calls.items_read`): the default
list and `filter[q][status_eq]=completed` (both read by key), and `sort=-created_at`, which
no key answers: it reads every cleanup of the tenant, the cost every list had before.
Goal: the keyed pages read at most twice the page size (the token's application lookup included).

`python -m bench.list_cleanups_cost` runs this row alone on DynamoDB Local.
"""
from __future__ import annotations

import json
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

FINISHED = 1000
GOAL = 2.0  # items read per item of the page
PAGES = {"items_read": "/api/cleanups", "status_items_read": "/api/cleanups?filter[q][status_eq]=completed",
         "unkeyed_items_read": "/api/cleanups?sort=-created_at"}


def seed_finished(tenant: Tenant, count: int) -> None:
    repository = DynamoCleanupRepository(add_recorded, expire_recorded)
    for _ in range(count):
        moment = datetime.now(UTC)
        cleanup = complete(Cleanup(tenant=tenant, id=new_id(), resource_type="skus", filters={"code_eq": "none"},
                                   created_at=iso(moment), updated_at=iso(moment)), moment)
        repository.save_new(cleanup, [], recorded_create(cleanup, cleanup.created_at), 10)


def items_read(api: Api, path: str) -> tuple[int, dict[str, Any]]:
    before = calls.items_read()
    response = api.call("GET", path)
    response.raise_for_status()
    return sum(calls.delta(before, calls.items_read()).values()), response.json()["meta"]


def run(api: Api, tenant: Tenant, backend: str, note: str = "") -> dict[str, Any]:
    progress(f"[{backend}] list_cleanups_cost: {FINISHED} finished cleanups")
    seed_finished(tenant, FINISHED)
    row: dict[str, Any] = {"name": "list_cleanups_cost", "finished_cleanups": FINISHED,
                           "page_size": DEFAULT_PAGE_SIZE}
    for figure, path in PAGES.items():
        read, meta = items_read(api, path)
        row[figure] = read
        row.setdefault("record_count", meta["record_count"])
    row.update({"read_vs_page": round(row["items_read"] / DEFAULT_PAGE_SIZE, 2), "read_vs_page_goal": GOAL,
                "backend": backend})
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
