"""Row `schedules_due_cost`: DynamoDB items read by one scheduler pass among 1,000 and 10,000 schedules.

Enabled schedules of many tenants (100 each, the limit) are stored through the repository, every
one due next year but 10 due a minute ago. One pass of `run_due` (the scheduled function's body)
is counted from DynamoDB's responses (`bench.calls.items_read`): the due query alone, and the whole
pass (each due schedule claimed, its cleanup created: nothing matches, born completed; its end
written). Goal: the query reads at most two items per due schedule (its marker, then the schedule
by key), whatever the number of schedules. `BENCH_SCHEDULES=200,1000` sizes it.

`runs_page`: page 1 (10) of a schedule's runs (`GET /api/cleanup_schedules/{id}/cleanups`, its use case)
among 1,000 finished cleanups of its tenant, every tenth a run of it, against what that route read
before (every cleanup of the tenant, the baseline): the schedule, the page's run links, its cleanups
by key and the run count buckets. Goal: at most about twice the page and a few items.

`python -m bench.schedules_due_cost` runs this row alone on DynamoDB Local.
"""
from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import calls
from bench.stack import progress, run_alone
from chalicelib import bootstrap, schedules
from chalicelib.cleanups.adapters.store import DynamoCleanupRepository
from chalicelib.cleanups.domain.model import Cleanup, complete
from chalicelib.events import add_outgoing, add_recorded, expire_recorded
from chalicelib.events.model import recorded_create
from chalicelib.schedules import Schedule
from chalicelib.schedules.adapters.store import DynamoScheduleRepository
from chalicelib.tenancy import Tenant, iso, new_id

SIZES = (1000, 10000)
DUE = 10
PER_TENANT = 100
GOAL = 2.0  # items read by the due query per due schedule
RUNS_AMONG, RUNS_EVERY, RUNS_PAGE = 1000, 10, 10  # cleanups of the tenant, one in ten a run, page 1 of 10
RUNS_GOAL = 2.5  # items read per cleanup of the page (the schedule and the count buckets included)


def stored(tenant: Tenant, next_run_at: datetime) -> Schedule:
    moment = iso(datetime.now(UTC))
    return Schedule(tenant=tenant, id=new_id(), name="bench", resource_type="skus", filters={"code_eq": "none"},
                    cron="0 3 * * *", created_at=moment, updated_at=moment, max_records_per_run=1000,
                    next_run_at=iso(next_run_at))


def seed(repository: DynamoScheduleRepository, first: int, last: int, when: datetime) -> None:
    """Schedules number `first` to `last` (100 a tenant), due at `when`."""
    for number in range(first, last):
        repository.save_new(stored(Tenant(f"bench-org-{number // PER_TENANT:05d}", "test"), when), PER_TENANT)


def items_read(action: Any) -> tuple[int, int, Any]:
    """Items read and AWS calls made by `action()`, and what it answered."""
    read_before, calls_before = calls.items_read(), calls.counts()
    answer = action()
    read = sum(calls.delta(read_before, calls.items_read()).values())
    return read, sum(calls.delta(calls_before, calls.counts()).values()), answer


def runs_page_cost(repository: DynamoScheduleRepository) -> dict[str, Any]:
    """Items read by page 1 of a schedule's runs among `RUNS_AMONG` finished cleanups of its tenant, and before."""
    tenant = Tenant("bench-runs-org", "test")
    schedule = stored(tenant, datetime.now(UTC) + timedelta(days=365))
    repository.save_new(schedule, PER_TENANT)
    cleanups = DynamoCleanupRepository(add_recorded, expire_recorded)
    progress(f"schedules_due_cost: {RUNS_AMONG} finished cleanups, one in {RUNS_EVERY} a run of the schedule")
    runs = []
    for number in range(RUNS_AMONG):
        moment = datetime.now(UTC)
        cleanup = complete(Cleanup(tenant=tenant, id=new_id(), resource_type="skus", filters={"code_eq": "none"},
                                   created_at=iso(moment), updated_at=iso(moment),
                                   schedule_id=schedule.id if number % RUNS_EVERY == 0 else None), moment)
        cleanups.save_new(cleanup, [], recorded_create(cleanup, cleanup.created_at), 10)
        runs += [cleanup] if cleanup.schedule_id else []
    ports = bootstrap.schedule_ports()
    read, _, (page, total) = items_read(lambda: schedules.runs_page(ports, tenant, schedule.id, 0, RUNS_PAGE, True))
    before, _, everything = items_read(lambda: cleanups.list_for(tenant))  # the route's read before this release
    newest = [c.id for c in sorted(sorted(runs, key=lambda c: c.id), key=lambda c: c.created_at, reverse=True)]
    assert [c.id for c in page] == newest[:RUNS_PAGE] and total == len(runs), (page, total)
    assert len(everything) == RUNS_AMONG
    return {"cleanups_of_tenant": RUNS_AMONG, "runs": len(runs), "page_size": RUNS_PAGE, "items_read": read,
            "items_read_before": before, "read_vs_before": round(read / before, 3),
            "read_vs_page": round(read / RUNS_PAGE, 2), "read_vs_page_goal": RUNS_GOAL}


def sizes() -> tuple[int, ...]:
    raw = os.environ.get("BENCH_SCHEDULES")
    return tuple(sorted(int(size) for size in raw.split(","))) if raw else SIZES


def run(backend: str) -> dict[str, Any]:
    repository = DynamoScheduleRepository(add_outgoing)
    now = datetime.now(UTC)
    row: dict[str, Any] = {"name": "schedules_due_cost", "due": DUE}
    seeded = 0
    for count in sizes():
        progress(f"[{backend}] schedules_due_cost: {count} schedules, {DUE} due")
        seed(repository, seeded, count - DUE, now + timedelta(days=365))
        seed(repository, count - DUE, count, now - timedelta(minutes=1))  # numbered last: the last tenants'
        seeded = count
        query_read, _, due = items_read(lambda: list(repository.due(iso(datetime.now(UTC)))))
        pass_read, pass_calls, ran = items_read(lambda: schedules.run_due(bootstrap.schedule_ports()))
        assert len(due) == DUE and [run.outcome.outcome for run in ran] == ["created"] * DUE, (len(due), ran)
        row.setdefault("items_read_due_query", {})[str(count)] = query_read
        row.setdefault("items_read_pass", {})[str(count)] = pass_read
        row.setdefault("calls_pass", {})[str(count)] = pass_calls
    row["runs_page"] = runs_page_cost(repository)
    worst = max(row["items_read_due_query"].values())
    row.update({"read_per_due": round(worst / DUE, 2), "read_per_due_goal": GOAL, "backend": backend})
    return row


def main() -> int:
    os.environ["SCHEDULE_RUN_SCHEDULES_SECONDS"] = "86400"  # the stack's own scheduler stays out of the count
    return run_alone(lambda stack: run("dynamodb-local"), workers=1)


if __name__ == "__main__":
    raise SystemExit(main())
