"""What the use cases tell operators, on in-memory fakes: one log line per step, and the EMF metrics."""
from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from chalicelib import cleanups, schedules, telemetry
from tests.telemetry_capture import Captured, capture
from tests.unit.fakes import World, settings
from tests.unit.test_cleanups_reconciler import STALE
from tests.unit.test_cleanups_services import ACTOR, TENANT, create, skus


@pytest.fixture
def captured(capsys: pytest.CaptureFixture[str]) -> Iterator[Captured]:
    with capture(capsys) as found:
        yield found


def test_worker_logs_each_step_and_counts_every_deleted_record_once(captured: Captured) -> None:
    # Given a cleanup of nine skus (three messages, five sub-batches)
    world = World()
    skus(world, 9)
    cleanup = create(world)
    # When every message is delivered, the first one twice
    first, *rest = world.queue.take()
    world.deliver([first, first, *rest])
    # Then the creation, each batch, each counted sub-batch and each transition have one line
    (created,) = captured.lines("Cleanup created")
    assert (created["cleanup_id"], created["status"], created["records_count"]) == (cleanup.id, "pending", 9)
    assert created["organization_id"] == TENANT.organization_id and created["resource_type"] == "skus"
    assert [line["batch"] for line in captured.lines("Batch begun")] == [0, 0, 1, 2]
    counted = captured.lines("Sub-batch counted")
    assert sorted(line["sub_batch"] for line in counted) == [0, 1, 2, 3, 4]
    assert [(line["from_status"], line["status"]) for line in captured.lines("Cleanup transitioned")] == [
        ("pending", "in_progress"), ("in_progress", "completed")]
    # And the metrics count each record once, errors none, one cleanup created and one completed
    metrics = captured.metrics()
    assert sum(metrics[telemetry.RECORDS_DELETED]) == 9 and sum(metrics[telemetry.RECORD_ERRORS]) == 0
    assert metrics[telemetry.CLEANUPS_CREATED] == [1] and metrics["CleanupsCompleted"] == [1]
    assert "CleanupsInterrupted" not in metrics


def test_a_cleanup_with_nothing_to_delete_is_created_and_completed_in_the_metrics(captured: Captured) -> None:
    # Given no matching sku
    world = World()
    # When a cleanup is created
    create(world)
    # Then its line says completed, and it counts as created and completed
    (created,) = captured.lines("Cleanup created")
    assert created["status"] == "completed"
    metrics = captured.metrics()
    assert metrics[telemetry.CLEANUPS_CREATED] == [1] and metrics["CleanupsCompleted"] == [1]


def test_interrupt_logs_the_transition_and_counts_an_interrupted_cleanup(captured: Captured) -> None:
    # Given a pending cleanup
    world = World()
    skus(world, 4)
    cleanup = create(world)
    # When a client interrupts it
    cleanups.interrupt_cleanup(world.ports, TENANT, cleanup.id, ACTOR)
    # Then the transition is logged and counted under its terminal status
    (line,) = captured.lines("Cleanup transitioned")
    assert (line["cleanup_id"], line["from_status"], line["status"]) == (cleanup.id, "pending", "interrupted")
    assert captured.metrics()["CleanupsInterrupted"] == [1]


def test_record_errors_are_counted_when_the_error_budget_interrupts(captured: Captured) -> None:
    # Given four skus of which three were changed after the cleanup was created (errors, over a 10% budget)
    world = World()
    ids = skus(world, 4)
    cleanup = create(world)
    for record_id in ids[:3]:
        world.records.records[(TENANT.key, "skus", record_id)]["updated_at"] = "2999-01-01T00:00:00.000Z"
    # When its message is delivered
    world.deliver(world.queue.take())
    # Then the first sub-batch's two errors are counted, and the budget interrupts the cleanup there
    metrics = captured.metrics()
    assert sum(metrics[telemetry.RECORD_ERRORS]) == world.cleanups.get(TENANT, cleanup.id).errors_count == 2
    assert metrics["CleanupsInterrupted"] == [1]


def test_reconciled_logs_each_intervention_and_counts_the_given_up(captured: Captured) -> None:
    # Given a cleanup whose last batch fails on every delivery, requeued as often as the reconciler may
    world = World(settings=settings(error_budget_ratio=1.0))
    skus(world, 12)
    cleanup = create(world)
    *good, poison = world.queue.take()
    world.deliver(good)
    for _ in range(world.settings.reconcile_attempts):
        world.clock.advance(STALE)
        telemetry.reconciled(cleanups.reconcile(world.ports))
        world.queue.take()
    # When the reconciler runs once more and gives up
    world.clock.advance(STALE)
    telemetry.reconciled(cleanups.reconcile(world.ports))
    # Then each requeue and the giving up have a line, the latter an error, and a summary per run
    assert [line["batches"] for line in captured.lines("Cleanup requeued")] == [[poison["batch"]]] * 2
    (given_up,) = [line for line in captured.lines() if line["message"].startswith("Cleanup given up")]
    assert (given_up["cleanup_id"], given_up["level"]) == (cleanup.id, "ERROR")
    assert [(line["requeued"], line["given_up"]) for line in captured.lines("Reconciled")] == [(1, 0), (1, 0), (0, 1)]
    # And the metrics count two requeues and one cleanup given up (what the alarm watches)
    metrics = captured.metrics()
    assert metrics[telemetry.CLEANUPS_REQUEUED] == [1, 1, 0] and metrics[telemetry.CLEANUPS_GIVEN_UP] == [0, 0, 1]


def test_sub_batch_timed_records_a_duration_only_when_the_sub_batch_finishes(captured: Captured) -> None:
    # Given one sub-batch that finishes and one that raises
    with telemetry.sub_batch_timed("cleanup-1", 0):
        pass
    with pytest.raises(RuntimeError), telemetry.sub_batch_timed("cleanup-1", 1):
        raise RuntimeError("throttled")
    # When the metrics are flushed
    metrics = captured.metrics()
    # Then only the finished one has a duration, in milliseconds, and a line
    (duration,) = metrics[telemetry.SUB_BATCH_DURATION]
    assert duration >= 0
    assert [line["sub_batch"] for line in captured.lines("Sub-batch deleted")] == [0]


def test_flush_prints_nothing_when_no_metric_was_recorded(captured: Captured) -> None:
    # Given an invocation that recorded no metric (a GET)
    # When the metrics are flushed
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        telemetry.flush()
    # Then no EMF blob and no "no metrics" warning is printed
    assert captured.metrics() == {} and warned == []


def test_each_schedule_run_is_one_line_and_one_metric_by_outcome(captured: Captured) -> None:
    # Given three due schedules of one tenant allowed one active cleanup: the first creates and takes the slot,
    # the second selects over its limit, the third is refused by the active limit
    world = World(settings=settings(max_active_cleanups=1))
    skus(world, 3)
    nightly = {"name": "n", "resource_type": "skus", "cron": "0 3 * * *"}
    for attributes in ({}, {"max_records_per_run": 2}, {"filters": {"code_eq": "DEL001"}}):
        schedules.create_schedule(world.schedule_ports, TENANT, {**nightly, **attributes})
    world.clock.advance(24 * 3600)
    # When the scheduler runs them
    ran = schedules.run_due(world.schedule_ports)
    # Then each run has one line with its outcome (a failure as an error), and one metric by outcome
    assert [run.outcome.outcome for run in ran] == ["created", "skipped_over_limit", "failed"]
    assert [line["outcome"] for line in captured.lines("Schedule ran")] == ["created", "skipped_over_limit"]
    (failed,) = captured.lines("Schedule run failed")
    assert failed["level"] == "ERROR" and "active cleanups" in failed["reason"]
    metrics = captured.metrics()
    assert (metrics["ScheduleRunsCreated"], metrics["ScheduleRunsSkipped"], metrics["ScheduleRunsFailed"]) == (
        [1], [1], [1])
