"""A schedule's runs on the in-memory fakes: paged by `created_at` either way, only the schedule's own, a deleted
one gone; no such schedule (or one deleted while a `_run` ran) is not found, never a conflict."""
from __future__ import annotations

from typing import Any

import pytest

from chalicelib.cleanups import WORKER, delete_cleanup
from chalicelib.exceptions import RecordNotFoundError
from chalicelib.schedules import delete_schedule, run_ids, runs_page, update_schedule
from chalicelib.schedules.service_layer import runner
from tests.unit.fakes import World
from tests.unit.test_schedules_runner import ADMIN, OTHER, TENANT, schedule


def ran(world: World, times: int) -> tuple[str, list[str]]:
    """A schedule run `times` times (nothing matches: each cleanup born completed); its cleanups oldest first."""
    created = schedule(world)
    for _ in range(times):
        update_schedule(world.schedule_ports, TENANT, created.id, {"_run": True}, ADMIN)
    runs = [c for c in world.cleanups.list_for(TENANT) if c.schedule_id == created.id]
    return created.id, [c.id for c in sorted(runs, key=lambda c: c.created_at)]


def test_runs_page_newest_or_oldest_first_and_count_only_the_schedules_own() -> None:
    # Given a schedule run four times and another run twice
    world = World()
    schedule_id, oldest_first = ran(world, 4)
    ran(world, 2)
    # When pages of 3 are read both ways
    newest = [runs_page(world.schedule_ports, TENANT, schedule_id, offset, 3, True) for offset in (0, 3)]
    oldest = runs_page(world.schedule_ports, TENANT, schedule_id, 1, 2, False)
    # Then they hold the schedule's runs in that order, each counting the four
    assert [c.id for page, _ in newest for c in page] == oldest_first[::-1]
    assert ([c.id for c in oldest[0]], oldest[1]) == (oldest_first[1:3], 4)
    assert {total for _, total in newest} == {4}
    assert run_ids(world.schedule_ports, TENANT, schedule_id, 0, None) == (oldest_first[::-1], 4)
    assert run_ids(world.schedule_ports, TENANT, schedule_id, 1, 2) == (oldest_first[::-1][1:3], 4)


def test_a_deleted_run_is_gone_and_another_tenant_finds_no_schedule() -> None:
    # Given a schedule run three times, its oldest cleanup then deleted
    world = World()
    schedule_id, oldest_first = ran(world, 3)
    delete_cleanup(world.ports, TENANT, oldest_first[0], WORKER)
    # When its runs are read
    page, total = runs_page(world.schedule_ports, TENANT, schedule_id, 0, 25, True)
    # Then the deleted one is neither listed nor counted
    assert ([c.id for c in page], total) == (oldest_first[:0:-1], 2)
    # And for another tenant the schedule does not exist
    with pytest.raises(RecordNotFoundError):
        runs_page(world.schedule_ports, OTHER, schedule_id, 0, 25, True)
    with pytest.raises(RecordNotFoundError):
        run_ids(world.schedule_ports, OTHER, schedule_id, 0, 25)


def test_a_run_now_on_a_schedule_deleted_while_it_ran_is_not_found(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a schedule deleted while its `_run` creates the cleanup
    world = World()
    created = schedule(world)
    create_cleanup = runner.create_cleanup

    def deleted_meanwhile(*args: Any, **kwargs: Any) -> Any:
        delete_schedule(world.schedule_ports, TENANT, created.id)
        return create_cleanup(*args, **kwargs)
    monkeypatch.setattr(runner, "create_cleanup", deleted_meanwhile)
    # When the `_run` ends, then it is not found (a 404), not busy (a 409)
    with pytest.raises(RecordNotFoundError):
        update_schedule(world.schedule_ports, TENANT, created.id, {"_run": True}, ADMIN)
