"""Runs the app's `@app.schedule` handlers locally at their rate, as EventBridge would.

`rate(...)` expressions (Chalice `Rate` objects or strings) run every interval,
divided by `SCHEDULE_SPEEDUP`; `SCHEDULE_<NAME>_SECONDS` (e.g.
`SCHEDULE_RECONCILE_SECONDS=3`) sets one job's interval outright so tests can make
the reconciler run every few seconds. `cron(...)` is not run locally (logged).
"""
from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chalice.app import Chalice, Rate, ScheduledEventConfig, ScheduleExpression

from devstack.lambda_runtime import ACCOUNT_ID, ContextFactory, Handler, default_context, event_handler

logger = logging.getLogger(__name__)

_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_RATE = re.compile(r"^rate\((\d+)\s+(minute|hour|day)s?\)$", re.IGNORECASE)


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    expression: str
    interval_seconds: float | None  # None: not run locally (cron)
    handler: Handler


def expression_text(expression: str | ScheduleExpression) -> str:
    return expression if isinstance(expression, str) else expression.to_string()


def rate_seconds(expression: str | ScheduleExpression) -> float | None:
    """The interval of a rate expression in seconds; None for cron."""
    if isinstance(expression, Rate):
        unit = expression.unit.lower().rstrip("s")
        return float(expression.value * _UNIT_SECONDS[unit])
    match = _RATE.match(expression_text(expression).strip())
    if match is None:
        return None
    return float(int(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()])


def job_interval(name: str, expression: str | ScheduleExpression, environ: Mapping[str, str]) -> float | None:
    """The local interval: `SCHEDULE_<NAME>_SECONDS` if set, else the rate divided by `SCHEDULE_SPEEDUP`."""
    override = environ.get(f"SCHEDULE_{name.upper()}_SECONDS")
    if override:
        return float(override)
    seconds = rate_seconds(expression)
    if seconds is None:
        return None
    return seconds / float(environ.get("SCHEDULE_SPEEDUP") or 1)


def scheduled_jobs(app: Chalice, environ: Mapping[str, str]) -> list[ScheduledJob]:
    return [
        ScheduledJob(
            name=config.name,
            expression=expression_text(config.schedule_expression),
            interval_seconds=job_interval(config.name, config.schedule_expression, environ),
            handler=event_handler(app, config.name),
        )
        for config in app.event_sources
        if isinstance(config, ScheduledEventConfig)
    ]


def scheduled_event(job_name: str, region: str) -> dict[str, Any]:
    """The EventBridge 'Scheduled Event' a rule delivers to its target."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{ACCOUNT_ID}:rule/{job_name}"],
        "detail": {},
    }


class Scheduler:
    """One thread running every rate job when due; a failing run is logged and the next one still comes."""

    def __init__(self, jobs: list[ScheduledJob], *, region: str = "us-east-1",
                 new_context: ContextFactory = default_context) -> None:
        self._jobs = [job for job in jobs if job.interval_seconds is not None]
        self._region = region
        self._new_context = new_context
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        for job in jobs:
            if job.interval_seconds is None:
                logger.warning("schedule %s (%s) is not run locally", job.name, job.expression)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 60.0) -> None:
        """Stop after the run in progress, if any."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        # Like a new EventBridge rule, the first run comes one interval after start.
        due = {job.name: time.monotonic() + (job.interval_seconds or 0) for job in self._jobs}
        while self._jobs and not self._stopping.is_set():
            job = min(self._jobs, key=lambda candidate: due[candidate.name])
            if self._stopping.wait(max(0.0, due[job.name] - time.monotonic())):
                return
            self.run_job(job)
            due[job.name] = time.monotonic() + (job.interval_seconds or 0)

    def run_job(self, job: ScheduledJob) -> None:
        context = self._new_context(job.name)
        try:
            job.handler(scheduled_event(job.name, self._region), context)
        except Exception:
            logger.exception("scheduled %s failed", job.name)
