"""One contract, two adapters: the in-memory schedules answer like DynamoDB (moto).

A schedule is read back as saved, by its tenant only; every write is conditional on the version read
and commits its events with it; the count limits a tenant's schedules; `due` lists every tenant's enabled
schedules due by a moment, earliest first, and none other.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest

from chalicelib.events import Event, Outgoing, add_outgoing, list_events
from chalicelib.exceptions import RecordNotFoundError
from chalicelib.idempotency import Claim, IdempotencyKeyTakenError
from chalicelib.schedules import Schedule, ScheduleRepository
from chalicelib.schedules.adapters.store import DynamoScheduleRepository
from chalicelib.schedules.exceptions import ScheduleLimitError
from chalicelib.tenancy import Tenant
from tests.integration.conftest import ADAPTERS, contract_adapter
from tests.unit.fakes import InMemorySchedules

TENANT = Tenant("org-alpha", "test")
OTHER = Tenant("org-beta", "test")
MOMENT = "2030-01-01T12:00:00.000Z"


@dataclass
class Adapters:
    schedules: ScheduleRepository
    events_of: Callable[[Tenant], list[Event]]


def _in_memory() -> Adapters:
    memory = InMemorySchedules()
    return Adapters(memory, lambda tenant: [e for e in memory.log.events if e.tenant == tenant])


@pytest.fixture(params=ADAPTERS)
def adapters(request: pytest.FixtureRequest) -> Adapters:
    return contract_adapter(request, _in_memory, lambda: Adapters(DynamoScheduleRepository(add_outgoing), list_events))


def schedule(schedule_id: str = "sch0000001", tenant: Tenant = TENANT, next_run_at: str | None = MOMENT,
             **values: object) -> Schedule:
    return Schedule(tenant=tenant, id=schedule_id, name="Nightly", resource_type="skus",
                    filters={"created_at_lt": "now-P30D"}, cron="0 3 * * *", created_at=MOMENT, updated_at=MOMENT,
                    max_records_per_run=500, enabled=next_run_at is not None, next_run_at=next_run_at,
                    metadata={"team": "ops"}, **values)  # type: ignore[arg-type]


def event(target: Schedule, event_id: str = "evt0000001") -> Outgoing:
    return Outgoing(Event(tenant=target.tenant, id=event_id, name="cleanup_schedules.run",
                          resource_type="cleanup_schedules", resource_id=target.id, created_at=MOMENT,
                          updated_at=MOMENT, metadata={"outcome": "created"}), target.attributes())


def test_schedule_is_read_back_as_saved_by_its_tenant_only(adapters: Adapters) -> None:
    # Given a schedule saved
    saved = schedule(max_records_per_second=5, reference="ref-1")
    adapters.schedules.save_new(saved, limit=100)
    # When its tenant reads it, Then it is the same schedule, alone in its list
    assert adapters.schedules.get(TENANT, saved.id) == saved
    assert adapters.schedules.list_for(TENANT) == [saved]
    # And another tenant finds nothing
    with pytest.raises(RecordNotFoundError):
        adapters.schedules.get(OTHER, saved.id)
    assert adapters.schedules.list_for(OTHER) == []


def test_replace_writes_only_over_the_version_read_with_its_events(adapters: Adapters) -> None:
    # Given a schedule, and two writers that read it at version 0
    saved = schedule()
    adapters.schedules.save_new(saved, limit=100)
    first = replace(saved, runs_count=1, last_run_outcome="created", version=1, run_token=None)
    second = replace(saved, name="Other", version=1)
    # When both write
    won = adapters.schedules.replace(saved, first, [event(first)])
    lost = adapters.schedules.replace(saved, second, [event(second, "evt0000002")])
    # Then the first wrote with its event, the second wrote nothing (its event neither)
    assert (won, lost) == (True, False)
    assert adapters.schedules.get(TENANT, saved.id) == first
    assert [e.id for e in adapters.events_of(TENANT)] == ["evt0000001"]


def test_the_tenant_count_limits_creates_and_a_delete_gives_its_place_back(adapters: Adapters) -> None:
    # Given a tenant at its limit of 2
    for n in range(2):
        adapters.schedules.save_new(schedule(f"sch000000{n}"), limit=2)
    # When a third is saved, Then it is refused and not stored; another tenant is not limited
    with pytest.raises(ScheduleLimitError):
        adapters.schedules.save_new(schedule("sch0000009"), limit=2)
    assert len(adapters.schedules.list_for(TENANT)) == 2
    adapters.schedules.save_new(schedule("sch0000009", tenant=OTHER), limit=2)
    # When one is deleted (twice: the second finds nothing), Then a third fits
    first = adapters.schedules.get(TENANT, "sch0000000")
    assert (adapters.schedules.delete(first), adapters.schedules.delete(first)) == (True, False)
    adapters.schedules.save_new(schedule("sch0000009"), limit=2)


def test_a_claimed_key_names_one_schedule(adapters: Adapters) -> None:
    # Given a schedule saved with an idempotency claim
    claim = Claim(TENANT, "cleanup_schedules", "key-1", "f", 1_900_000_000, 1_900_086_400)
    adapters.schedules.save_new(schedule(), limit=100, claim=claim)
    # When another schedule is saved with the same key, Then it is refused and not stored
    with pytest.raises(IdempotencyKeyTakenError):
        adapters.schedules.save_new(schedule("sch0000002"), limit=100, claim=claim)
    assert [s.id for s in adapters.schedules.list_for(TENANT)] == ["sch0000001"]


def test_due_lists_enabled_schedules_of_every_tenant_due_by_the_moment_earliest_first(adapters: Adapters) -> None:
    # Given schedules of two tenants due at various times, and a paused one
    adapters.schedules.save_new(schedule("sch0000001", next_run_at="2030-01-01T03:00:00.000Z"), limit=100)
    adapters.schedules.save_new(schedule("sch0000002", tenant=OTHER, next_run_at="2030-01-01T02:00:00.000Z"),
                                limit=100)
    adapters.schedules.save_new(schedule("sch0000003", next_run_at="2030-01-01T12:00:00.000Z"), limit=100)
    adapters.schedules.save_new(schedule("sch0000004", next_run_at="2030-01-02T03:00:00.000Z"), limit=100)
    adapters.schedules.save_new(schedule("sch0000005", next_run_at=None), limit=100)
    # When the schedules due by noon are asked
    due = list(adapters.schedules.due("2030-01-01T12:00:00.000Z"))
    # Then they are the three due by then (noon included), earliest first, whatever their tenant
    assert [s.id for s in due] == ["sch0000002", "sch0000001", "sch0000003"]
    # And a schedule paused since (next_run_at gone) leaves the list
    first = due[1]
    assert adapters.schedules.replace(first, replace(first, enabled=False, next_run_at=None, version=1))
    assert [s.id for s in adapters.schedules.due("2030-01-01T12:00:00.000Z")] == ["sch0000002", "sch0000003"]
