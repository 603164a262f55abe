"""The local schedule runner: intervals from Chalice expressions, overrides, and runs of the real handler."""
from __future__ import annotations

import threading
from typing import Any

import pytest
from chalice import Chalice, Cron, Rate
from chalice.app import CloudWatchEvent

from devstack.scheduler import Scheduler, job_interval, rate_seconds, scheduled_jobs


@pytest.mark.parametrize(("expression", "seconds"), [
    (Rate(5, unit=Rate.MINUTES), 300.0),
    (Rate(1, unit=Rate.HOURS), 3600.0),
    (Rate(2, unit=Rate.DAYS), 172800.0),
    ("rate(1 minute)", 60.0),
    ("rate(10 minutes)", 600.0),
    (Cron(0, 12, "*", "*", "?", "*"), None),
    ("cron(0 12 * * ? *)", None),
])
def test_rate_seconds_reads_chalice_and_string_expressions(expression: Any, seconds: float | None) -> None:
    # Given a schedule expression / When converted / Then rates give their interval and cron gives none
    assert rate_seconds(expression) == seconds


def test_job_interval_prefers_the_per_job_override_then_the_speedup() -> None:
    # Given a five-minute rate
    rate = Rate(5, unit=Rate.MINUTES)

    # When intervals are computed under different environments
    plain = job_interval("reconcile", rate, {})
    sped_up = job_interval("reconcile", rate, {"SCHEDULE_SPEEDUP": "60"})
    overridden = job_interval("reconcile", rate, {"SCHEDULE_SPEEDUP": "60", "SCHEDULE_RECONCILE_SECONDS": "3"})

    # Then the override wins over the speedup, which divides the rate
    assert (plain, sped_up, overridden) == (300.0, 5.0, 3.0)


def test_scheduled_jobs_discovers_rate_and_cron_schedules_of_an_app() -> None:
    # Given an app with a rate schedule and a cron schedule
    app = Chalice(app_name="scheduler-test")
    app.schedule(Rate(1, unit=Rate.MINUTES))(lambda event: None)
    app.schedule("cron(0 3 * * ? *)", name="nightly")(lambda event: None)

    # When its jobs are listed
    jobs = {job.name: job for job in scheduled_jobs(app, {})}

    # Then the rate job has its interval and the cron job is marked as not run locally
    assert jobs["<lambda>"].interval_seconds == 60.0
    assert jobs["<lambda>"].expression == "rate(1 minute)"
    assert jobs["nightly"].interval_seconds is None


def test_scheduler_runs_the_handler_at_its_interval_with_a_scheduled_event_and_survives_failures() -> None:
    # Given a schedule whose handler fails on its first run, sped up to 50 ms
    app = Chalice(app_name="scheduler-test")
    events: list[CloudWatchEvent] = []
    three_runs = threading.Event()

    @app.schedule(Rate(1, unit=Rate.MINUTES))
    def reconcile(event: CloudWatchEvent) -> None:
        events.append(event)
        if len(events) >= 3:
            three_runs.set()
        if len(events) == 1:
            raise RuntimeError("first run fails")

    scheduler = Scheduler(scheduled_jobs(app, {"SCHEDULE_RECONCILE_SECONDS": "0.05"}))

    # When it runs for a while
    scheduler.start()
    ran = three_runs.wait(5)
    scheduler.stop()

    # Then the handler ran again after the failure, each time with an EventBridge scheduled event and a context
    assert ran
    assert {event.detail_type for event in events} == {"Scheduled Event"}
    assert events[0].source == "aws.events"
    assert len({event.event_id for event in events}) == len(events)
    assert events[0].context is not None and events[0].context.function_name == "reconcile"
