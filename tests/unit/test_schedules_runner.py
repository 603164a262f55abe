"""Running schedules on the in-memory fakes and a clock that skips time: one run per due time, whatever happens.

Runners race (stale reads, two invocations), die between their writes (faults), stay down for days;
each due time still creates at most one cleanup, counted once, and none is lost.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib.cleanups import Actor, create_cleanup
from chalicelib.events import SCHEDULE_RUN
from chalicelib.events.model import Webhook
from chalicelib.schedules import Schedule, create_schedule, run_due, update_schedule
from chalicelib.schedules.exceptions import ScheduleBusyError
from chalicelib.schedules.service_layer.runner import LEASE_SECONDS
from chalicelib.tenancy import Tenant, iso, parse_iso
from tests.unit.fakes import START, Crash, World, settings

TENANT = Tenant("org-alpha", "test")
OTHER = Tenant("org-beta", "test")
NIGHTLY: dict[str, Any] = {"name": "Old skus", "resource_type": "skus", "cron": "0 3 * * *",
                           "filters": {"code_start": "OLD", "created_at_lt": "now-P30D"}}
FIRST_DUE = "2025-01-02T03:00:00.000Z"  # START is 2025-01-01 12:00 UTC
ADMIN = Actor(who={"application": {"id": "app", "kind": "integration"}})


def old_skus(world: World, count: int, tenant: Tenant = TENANT) -> None:
    """`count` OLD skus created 90 days before START (any now-P30D run selects them)."""
    for n in range(count):
        world.records.add(tenant, "skus", f"sku{n:04d}", START - timedelta(days=90), code=f"OLD{n}",
                          created_at=iso(START - timedelta(days=90)))


def schedule(world: World, **attributes: Any) -> Schedule:
    return create_schedule(world.schedule_ports, TENANT, {**NIGHTLY, **attributes})


def until(world: World, moment: str, seconds_after: float = 30) -> None:
    """Skip the clock to `seconds_after` past `moment`."""
    world.clock.moment = parse_iso(moment) + timedelta(seconds=seconds_after)


def runner_dies(world: World, point: str, skip: int = 0) -> None:
    """The scheduler runs and its process dies at `point` (`save_new:before`: claimed, nothing created yet)."""
    world.faults.arm(point, skip)
    with pytest.raises(Crash):
        run_due(world.schedule_ports)


def died_at_the_first_due_time(world: World, point: str, skip: int = 0) -> Schedule:
    """A nightly schedule whose runner, at its first due time, died at `point` (`runner_dies`)."""
    created = schedule(world)
    until(world, FIRST_DUE)
    runner_dies(world, point, skip)
    return created


def run_cleanups(world: World, schedule_id: str) -> list[Any]:
    return [c for c in world.cleanups.list_for(TENANT) if c.schedule_id == schedule_id]


def stored(world: World, created: Schedule) -> Schedule:
    return world.schedules.get(TENANT, created.id)


def run_events(world: World) -> list[Any]:
    return [e for e in world.events.events if e.name == SCHEDULE_RUN]


def test_a_due_schedule_runs_once_and_then_waits_for_its_next_time() -> None:
    # Given a nightly schedule and three OLD skus, and the clock just past its first due time
    world = World()
    old_skus(world, 3)
    created = schedule(world)
    assert created.next_run_at == FIRST_DUE
    until(world, FIRST_DUE)
    # When the scheduler runs twice within the minute
    first, second = run_due(world.schedule_ports), run_due(world.schedule_ports)
    # Then the first run created one cleanup of the three skus, naming the schedule; the second found nothing due
    assert [run.outcome.outcome for run in first] == ["created"] and second == []
    (cleanup,) = run_cleanups(world, created.id)
    assert cleanup.records_count == 3 and cleanup.id == first[0].outcome.cleanup_id
    # And the schedule counts one run, its next time tomorrow at 03:00
    after = stored(world, created)
    assert (after.runs_count, after.last_run_outcome, after.next_run_at) == (1, "created", "2025-01-03T03:00:00.000Z")
    assert after.run_token is None and after.last_run_at is not None and after.last_run_at > FIRST_DUE


def test_the_run_resolves_relative_values_at_the_moment_it_runs() -> None:
    # Given a schedule selecting skus created before now-P30D
    world = World()
    created = schedule(world)
    until(world, FIRST_DUE)
    # When it runs
    run_due(world.schedule_ports)
    # Then its cleanup's filters hold the timestamp 30 days before the run, the rest as written
    (cleanup,) = run_cleanups(world, created.id)
    moment = parse_iso(cleanup.created_at)
    resolved = parse_iso(cleanup.filters["created_at_lt"])
    assert timedelta(days=30) <= moment - resolved < timedelta(days=30, seconds=1)
    assert cleanup.filters["code_start"] == "OLD"
    # And the schedule keeps the relative value for its next runs
    assert stored(world, created).filters["created_at_lt"] == "now-P30D"


def test_racing_runners_that_read_the_same_due_schedule_create_one_cleanup() -> None:
    # Given two scheduler invocations that both listed the due schedule before either ran it
    world = World()
    old_skus(world, 2)
    created = schedule(world)
    until(world, FIRST_DUE)
    seen_by_second = list(world.schedules.due(iso(world.clock.now())))
    # When the first runs it, then the second runs what it listed
    first = run_due(world.schedule_ports)
    world.schedules.due = lambda moment: iter(seen_by_second)  # type: ignore[method-assign]
    second = run_due(world.schedule_ports)
    # Then the second's claim was refused (the version moved): one run, one cleanup, one event
    assert len(first) == 1 and second == []
    assert len(run_cleanups(world, created.id)) == 1
    assert stored(world, created).runs_count == 1 and len(run_events(world)) == 1


def test_a_runner_holding_the_due_time_keeps_a_racer_out_until_its_lease_ends() -> None:
    # Given a runner that claimed the due schedule and died before creating its cleanup
    world = World()
    old_skus(world, 2)
    created = died_at_the_first_due_time(world, "save_new:before")
    assert run_cleanups(world, created.id) == []
    # When another invocation comes a minute later, Then it leaves the held schedule alone
    world.clock.advance(60)
    assert run_due(world.schedule_ports) == []
    # When one comes after the lease ended, Then it takes the due time over and creates its one cleanup
    world.clock.advance(LEASE_SECONDS)
    (run,) = run_due(world.schedule_ports)
    assert run.outcome.outcome == "created" and len(run_cleanups(world, created.id)) == 1
    after = stored(world, created)
    assert (after.runs_count, after.next_run_at) == (1, "2025-01-03T03:00:00.000Z")


def test_a_runner_that_died_after_its_cleanup_was_committed_is_taken_over_without_a_second_cleanup() -> None:
    # Given a runner that created the due time's cleanup and died before counting the run
    world = World()
    old_skus(world, 2)
    created = died_at_the_first_due_time(world, "save_new:after")
    (orphan,) = run_cleanups(world, created.id)
    assert stored(world, created).runs_count == 0
    # When a runner comes after the lease ended (the selection has grown meanwhile)
    old_skus(world, 5)
    world.clock.advance(LEASE_SECONDS + 1)
    (run,) = run_due(world.schedule_ports)
    # Then it counts that cleanup as the run's, creating none
    assert run.outcome.outcome == "created" and run.outcome.cleanup_id == orphan.id
    assert run_cleanups(world, created.id) == [orphan]
    assert stored(world, created).runs_count == 1 and stored(world, created).last_cleanup_id == orphan.id
    assert len(run_events(world)) == 1


def test_a_runner_that_died_after_counting_its_run_leaves_nothing_to_run_again() -> None:
    # Given a runner that ended its run and died before dispatching (the claim is the first write, the end the second)
    world = World()
    created = died_at_the_first_due_time(world, "schedule:after", skip=1)
    # When the scheduler runs again after any lease
    world.clock.advance(LEASE_SECONDS + 1)
    # Then nothing is due: one run, one cleanup, its event left in the outbox for the reconciler
    assert run_due(world.schedule_ports) == []
    assert stored(world, created).runs_count == 1 and len(run_cleanups(world, created.id)) == 1
    (event,) = run_events(world)
    assert event.id in world.events.outbox


def test_due_times_missed_while_the_scheduler_was_down_run_once_when_it_is_back() -> None:
    # Given an hourly schedule and a scheduler down for three days
    world = World()
    created = schedule(world, cron="0 * * * *")
    world.clock.advance(3 * 24 * 3600)
    # When it is back and runs twice
    runs = run_due(world.schedule_ports) + run_due(world.schedule_ports)
    # Then the 72 missed due times made one run, one cleanup; the next due time is the coming hour
    assert len(runs) == 1 and len(run_cleanups(world, created.id)) == 1
    after = stored(world, created)
    assert after.runs_count == 1
    assert after.next_run_at == iso((world.clock.moment + timedelta(hours=1)).replace(minute=0, second=0,
                                                                                       microsecond=0))


def test_a_selection_over_max_records_per_run_creates_nothing() -> None:
    # Given a schedule allowing 2 records a run, and 3 matching skus
    world = World()
    old_skus(world, 3)
    created = schedule(world, max_records_per_run=2)
    until(world, FIRST_DUE)
    # When it runs
    (run,) = run_due(world.schedule_ports)
    # Then it is skipped over the limit: no cleanup, nothing deleted, the run counted, the next one tomorrow
    assert run.outcome.outcome == "skipped_over_limit" and run.outcome.cleanup_id is None
    assert world.cleanups.list_for(TENANT) == [] and len(world.records.ids(TENANT, "skus")) == 3
    after = stored(world, created)
    assert (after.runs_count, after.last_run_outcome, after.next_run_at) == (1, "skipped_over_limit",
                                                                            "2025-01-03T03:00:00.000Z")
    (event,) = run_events(world)
    assert event.metadata["outcome"] == "skipped_over_limit" and "2 records" in event.metadata["reason"]


def test_a_run_whose_last_cleanup_is_still_active_is_skipped() -> None:
    # Given a schedule whose first run created a cleanup the worker has not run yet
    world = World()
    old_skus(world, 3)
    created = schedule(world)
    until(world, FIRST_DUE)
    (first,) = run_due(world.schedule_ports)
    # When the next day's run comes
    until(world, "2025-01-03T03:00:00.000Z")
    (second,) = run_due(world.schedule_ports)
    # Then it is skipped as still active, creating nothing
    assert second.outcome.outcome == "skipped_active" and len(run_cleanups(world, created.id)) == 1
    # When the worker finishes that cleanup and the day after's run comes
    world.drain()
    until(world, "2025-01-04T03:00:00.000Z")
    (third,) = run_due(world.schedule_ports)
    # Then it creates again (nothing left to select: born completed)
    assert third.outcome.outcome == "created" and len(run_cleanups(world, created.id)) == 2
    after = stored(world, created)
    assert (after.runs_count, after.last_cleanup_id) == (3, third.outcome.cleanup_id)
    assert first.outcome.cleanup_id != third.outcome.cleanup_id


def test_a_run_refused_as_the_api_would_refuse_it_is_failed_and_the_next_time_still_comes() -> None:
    # Given a tenant already holding its two active cleanups (the fakes' MAX_ACTIVE_CLEANUPS)
    world = World()
    old_skus(world, 3)
    for code in ("OLD0", "OLD1"):
        create_cleanup(world.ports, TENANT, {"resource_type": "skus", "filters": {"code_eq": code}}, ADMIN)
    created = schedule(world)
    until(world, FIRST_DUE)
    # When the schedule runs
    (run,) = run_due(world.schedule_ports)
    # Then it failed with the API's reason, created nothing, and its next time is tomorrow
    assert run.outcome.outcome == "failed" and "active cleanups" in str(run.outcome.reason)
    assert run_cleanups(world, created.id) == []
    assert stored(world, created).next_run_at == "2025-01-03T03:00:00.000Z"


def test_a_paused_schedule_never_runs_and_resuming_it_waits_for_the_next_time() -> None:
    # Given a paused schedule and a day passing
    world = World()
    created = schedule(world, enabled=False)
    assert created.next_run_at is None
    world.clock.advance(24 * 3600)
    # When the scheduler runs, Then nothing runs
    assert run_due(world.schedule_ports) == []
    # When it is resumed, Then its next run is the coming 03:00, not the missed one
    resumed = update_schedule(world.schedule_ports, TENANT, created.id, {"enabled": True}, ADMIN)
    assert resumed.next_run_at == "2025-01-03T03:00:00.000Z"


def test_run_now_creates_a_cleanup_at_once_and_keeps_the_next_due_time() -> None:
    # Given a nightly schedule and two OLD skus
    world = World()
    old_skus(world, 2)
    created = schedule(world)
    # When `_run` is asked twice
    first = update_schedule(world.schedule_ports, TENANT, created.id, {"_run": True}, ADMIN)
    world.drain()
    second = update_schedule(world.schedule_ports, TENANT, created.id, {"_run": True}, ADMIN)
    # Then each run created its cleanup (two runs), and the nightly due time did not move
    assert (first.runs_count, second.runs_count) == (1, 2)
    assert len(run_cleanups(world, created.id)) == 2 and second.next_run_at == FIRST_DUE


def test_run_now_is_refused_while_another_run_holds_the_schedule() -> None:
    # Given a due run whose runner is still within its lease (it died a second ago)
    world = World()
    created = died_at_the_first_due_time(world, "save_new:before")
    # When `_run` is asked, Then it is 409, nothing created
    with pytest.raises(ScheduleBusyError):
        update_schedule(world.schedule_ports, TENANT, created.id, {"_run": True}, ADMIN)
    assert run_cleanups(world, created.id) == []


def test_a_cron_changed_while_a_due_run_is_held_moves_the_next_run_when_that_run_ends() -> None:
    # Given a due run held by a runner that died
    world = World()
    created = died_at_the_first_due_time(world, "save_new:before")
    # When the cron is changed to 05:30
    changed = update_schedule(world.schedule_ports, TENANT, created.id, {"cron": "30 5 * * *"}, ADMIN)
    # Then the held due time stays due (the run is not lost) ...
    assert changed.next_run_at == FIRST_DUE and changed.cron == "30 5 * * *"
    # ... and once taken over, its end moves the next run by the new cron
    world.clock.advance(LEASE_SECONDS + 1)
    (run,) = run_due(world.schedule_ports)
    assert run.schedule.next_run_at == "2025-01-02T05:30:00.000Z" and len(run_cleanups(world, created.id)) == 1


def test_every_run_is_an_event_delivered_to_the_topics_webhooks() -> None:
    # Given a webhook on cleanup_schedules.run
    world = World()
    world.events.hooks.append(Webhook(tenant=TENANT, id="hook000001", topic=SCHEDULE_RUN,
                                      callback_url="https://example.test/hook", shared_secret="s",
                                      created_at=iso(START), updated_at=iso(START)))
    created = schedule(world)
    until(world, FIRST_DUE)
    # When the schedule runs
    (run,) = run_due(world.schedule_ports)
    # Then its event says the outcome and the cleanup, and a delivery of the schedule is queued
    (event,) = run_events(world)
    assert event.resource_type == "cleanup_schedules" and event.resource_id == created.id
    assert event.metadata == {"outcome": "created", "cleanup_id": run.outcome.cleanup_id, "due_at": FIRST_DUE}
    (delivery,) = [m for m in world.queue.messages if m["kind"] == "webhook_delivery"]
    assert delivery["resource"]["type"] == "cleanup_schedules"
    assert delivery["resource"]["attributes"]["runs_count"] == 1 and delivery["event_id"] == event.id
    assert event.id not in world.events.outbox  # dispatched


def test_schedules_of_other_tenants_run_on_their_own_data() -> None:
    # Given the same schedule for two tenants, OLD skus in the first only
    world = World()
    old_skus(world, 2)
    mine = schedule(world)
    theirs = create_schedule(world.schedule_ports, OTHER, NIGHTLY)
    until(world, FIRST_DUE)
    # When the scheduler runs both
    runs = run_due(world.schedule_ports)
    # Then each created its tenant's cleanup: two records for one, none for the other
    by_schedule = {run.schedule.id: run for run in runs}
    assert world.cleanups.get(TENANT, by_schedule[mine.id].outcome.cleanup_id).records_count == 2
    assert world.cleanups.get(OTHER, by_schedule[theirs.id].outcome.cleanup_id).records_count == 0


def test_with_selection_in_the_worker_a_run_over_its_limit_stops_before_deleting_anything() -> None:
    # Given a cap raised above what a request selects (4), and a schedule allowing 6 records a run, 8 matching
    world = World(settings=settings(select_in_request_records=4))
    old_skus(world, 8)
    created = schedule(world, max_records_per_run=6)
    until(world, FIRST_DUE)
    # When it runs (the request cannot tell the count: the worker selects) and the worker drains the queue
    (run,) = run_due(world.schedule_ports)
    world.drain()
    # Then its cleanup was interrupted at the schedule's limit with nothing deleted
    cleanup = world.cleanups.get(TENANT, str(run.outcome.cleanup_id))
    assert cleanup.schedule_id == created.id and cleanup.status == "interrupted" and cleanup.processed_count == 0
    assert "max_records_per_run" in cleanup.errors_log["selection"]["base"][0]
    assert len(world.records.ids(TENANT, "skus")) == 8
