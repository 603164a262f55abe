"""The runner on DynamoDB (moto), its clock skipped: the due index, the claim and the due-time key hold there too."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalicelib import bootstrap, schedules
from chalicelib.cleanups import WORKER, create_cleanup
from chalicelib.schedules.domain import runs
from chalicelib.schedules.service_layer.runner import LEASE_SECONDS
from chalicelib.tenancy import Tenant, new_id, parse_iso
from tests.integration.conftest import RecordFactory
from tests.unit.fakes import AdvancingClock

TENANT = Tenant("org-alpha", "test")
NIGHTLY: dict[str, Any] = {"name": "Old skus", "resource_type": "skus", "cron": "0 3 * * *",
                           "filters": {"code_start": "OLD", "created_at_lt": "now-PT1S"}}


def ports(clock: AdvancingClock) -> schedules.Ports:
    real = bootstrap.schedule_ports()
    return replace(real, cleanups=replace(real.cleanups, clock=clock))


def run_ids(clock: AdvancingClock, schedule_id: str) -> list[str]:
    return [c.id for c in ports(clock).cleanups.cleanups.list_for(TENANT) if c.schedule_id == schedule_id]


def test_a_scheduler_back_after_days_runs_each_due_schedule_once(tables: dict[str, str]) -> None:
    # Given two OLD skus and a nightly schedule, and a scheduler that comes back three days after its due time
    factory = RecordFactory(TENANT)
    for code in ("OLD1", "OLD2"):
        factory.sku(code)
    clock = AdvancingClock(moment=parse_iso("2030-01-01T12:00:00Z"))
    created = schedules.create_schedule(ports(clock), TENANT, NIGHTLY)
    clock.advance(3 * 24 * 3600)
    # When it runs twice
    ran = schedules.run_due(ports(clock)) + schedules.run_due(ports(clock))
    # Then one run created one cleanup of the two skus, and the next run is the coming 03:00
    assert [run.outcome.outcome for run in ran] == ["created"]
    (cleanup_id,) = run_ids(clock, created.id)
    assert ports(clock).cleanups.cleanups.get(TENANT, cleanup_id).records_count == 2
    after = schedules.get_schedule(ports(clock), TENANT, created.id)
    assert (after.runs_count, after.next_run_at) == (1, "2030-01-05T03:00:00.000Z")


def test_a_stale_runner_is_refused_and_a_dead_ones_cleanup_is_taken_over_not_doubled(tables: dict[str, str]) -> None:
    # Given a due schedule, and a runner that claimed it, created its cleanup under the due time's key, and died
    clock = AdvancingClock(moment=parse_iso("2030-01-01T12:00:00Z"))
    created = schedules.create_schedule(ports(clock), TENANT, NIGHTLY)
    clock.advance(15 * 3600 + 30)
    store = ports(clock).schedules
    stale = store.get(TENANT, created.id)
    held = runs.held(stale, new_id(), stale.next_run_at, clock.now().timestamp(), LEASE_SECONDS)
    assert store.replace(stale, held)
    moment = clock.now()
    orphan = create_cleanup(ports(clock).cleanups, TENANT, held.cleanup_attributes(moment), WORKER,
                            claim=runs.run_claim(held, moment), schedule_id=held.id)
    # When a racer that read the schedule before that claim tries it, Then its claim is refused
    assert not store.replace(stale, runs.held(stale, new_id(), stale.next_run_at, clock.now().timestamp(), 1))
    # When the scheduler comes while the lease holds, Then it leaves the schedule alone
    assert schedules.run_due(ports(clock)) == []
    # When it comes after the lease, Then it counts the dead runner's cleanup as the run's, creating none
    clock.advance(LEASE_SECONDS + 1)
    (run,) = schedules.run_due(ports(clock))
    assert (run.outcome.outcome, run.outcome.cleanup_id) == ("created", orphan.id)
    assert run_ids(clock, created.id) == [orphan.id]
    assert schedules.get_schedule(ports(clock), TENANT, created.id).runs_count == 1
