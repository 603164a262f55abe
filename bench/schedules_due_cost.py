"""Row `schedules_due_cost`: DynamoDB items read by one scheduler pass among 1,000 and 10,000 schedules.

Enabled schedules of many tenants (100 each, the limit) are stored through the repository, every
one due next year but 10 due a minute ago. One pass of `run_due` (the scheduled function's body)
is counted from DynamoDB's responses (`bench.calls.items_read`): the due query alone, and the whole
pass (each due schedule claimed, its cleanup created: nothing matches, born completed; its end
written). Goal: the query reads at most two items per due schedule (its marker, then the schedule
by key), whatever the number of schedules. `BENCH_SCHEDULES=200,1000` sizes it.

`python -m bench.schedules_due_cost` runs this row alone on DynamoDB Local.
"""
from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import calls
from bench.stack import progress, run_alone
from chalicelib import bootstrap, schedules
from chalicelib.events import add_outgoing
from chalicelib.schedules import Schedule
from chalicelib.schedules.adapters.store import DynamoScheduleRepository
from chalicelib.tenancy import Tenant, iso, new_id

SIZES = (1000, 10000)
DUE = 10
PER_TENANT = 100
GOAL = 2.0  # items read by the due query per due schedule


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
    worst = max(row["items_read_due_query"].values())
    row.update({"read_per_due": round(worst / DUE, 2), "read_per_due_goal": GOAL, "backend": backend})
    return row


def main() -> int:
    os.environ["SCHEDULE_RUN_SCHEDULES_SECONDS"] = "86400"  # the stack's own scheduler stays out of the count
    return run_alone(lambda stack: run("dynamodb-local"), workers=1)


if __name__ == "__main__":
    raise SystemExit(main())
