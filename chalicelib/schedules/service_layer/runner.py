"""Running schedules: every due one (the scheduled function, each minute), or one now (`_run`).

A run claims the schedule (one write conditional on the version read, taking a lease), creates
its cleanup through `create_cleanup` under an idempotency claim keyed by the due time, then
ends (one write conditional on still holding the lease) with its counts, `next_run_at` and
its `cleanup_schedules.run` event. Callers rely on: racing runners on one due time create one
cleanup and count one run; a runner that dies is taken over once its lease ends, through the
same key, so its cleanup is neither lost nor doubled; missed due times coalesce into one run.
Why: docs/DESIGN.md#schedules
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from chalicelib import telemetry
from chalicelib.cleanups import WORKER, Actor, create_cleanup
from chalicelib.cleanups.exceptions import TooManyRecordsError
from chalicelib.events import Outgoing
from chalicelib.exceptions import RecordNotFoundError, ServiceError
from chalicelib.filters import FilterError
from chalicelib.idempotency import Claim, once
from chalicelib.schedules.domain import runs
from chalicelib.schedules.domain.model import CREATED, FAILED, SKIPPED_ACTIVE, SKIPPED_OVER_LIMIT, Schedule
from chalicelib.schedules.ports import Ports
from chalicelib.tenancy import iso, new_id

LEASE_SECONDS = 120  # over the scheduled function's 60 s timeout and a request's 29 s: a holder is dead past it
CLAIM_ATTEMPTS = 5  # a `_run` read again after a concurrent update changed the version


@dataclass(frozen=True)
class Run:
    """A run that ended: the schedule as it left it, and what it did."""

    schedule: Schedule
    outcome: runs.Outcome


class _Skipped(Exception):
    def __init__(self, outcome: str, reason: str) -> None:
        super().__init__(reason)
        self.outcome, self.reason = outcome, reason


def run_due(ports: Ports) -> list[Run]:
    """Run every schedule due by now, once each (those another runner holds are left to it)."""
    moment = ports.cleanups.clock.now()
    ended = []
    for schedule in ports.schedules.due(iso(moment)):
        run = _claimed_run(ports, schedule, schedule.next_run_at, WORKER)
        if run is not None:
            ended.append(run)
    return ended


def run_now(ports: Ports, schedule: Schedule, actor: Actor) -> Run | None:
    """A run now, whatever the cron says; None while another run of the schedule is under way."""
    for _ in range(CLAIM_ATTEMPTS):
        if not runs.free(schedule, ports.cleanups.clock.now().timestamp()):
            return None
        run = _claimed_run(ports, schedule, None, actor)
        if run is not None:
            return run
        schedule = ports.schedules.get(schedule.tenant, schedule.id)
    return None


def _claimed_run(ports: Ports, schedule: Schedule, due: str | None, actor: Actor) -> Run | None:
    """Claim `schedule` for `due` and run it; None when it is held by a live runner or changed since read."""
    now = ports.cleanups.clock.now().timestamp()
    if not runs.free(schedule, now):
        return None
    claimed = runs.held(schedule, new_id(), due, now, LEASE_SECONDS)
    if not ports.schedules.replace(schedule, claimed):
        return None  # another runner (or an update) wrote first
    outcome = _create(ports, claimed, actor)
    return _finish(ports, claimed, due, outcome)


def _create(ports: Ports, schedule: Schedule, actor: Actor) -> runs.Outcome:
    """The run's cleanup, created once per key: a runner taking a due time over finds the one created before."""
    cleanup_ports = ports.cleanups
    moment = cleanup_ports.clock.now()

    def create(claim: Claim | None) -> str:
        if _last_still_active(ports, schedule):
            raise _Skipped(SKIPPED_ACTIVE, f"its last cleanup {schedule.last_cleanup_id} is still active")
        try:
            cleanup = create_cleanup(cleanup_ports, schedule.tenant, schedule.cleanup_attributes(moment), actor,
                                     claim=claim, schedule_id=schedule.id,
                                     max_records=schedule.max_records_per_run)
        except TooManyRecordsError as error:
            raise _Skipped(SKIPPED_OVER_LIMIT, str(error)) from None
        return cleanup.id

    known: Callable[[str], str] = str  # a replay answers the id the claim names
    try:
        created = once(ports.claims, runs.run_claim(schedule, moment), create, known)
    except _Skipped as skipped:
        return runs.Outcome(skipped.outcome, reason=skipped.reason)
    except (ServiceError, FilterError) as error:  # refused as POST /api/cleanups would be: limit, filters, ...
        return runs.Outcome(FAILED, reason=str(error))
    return runs.Outcome(CREATED, cleanup_id=created.value)


def _last_still_active(ports: Ports, schedule: Schedule) -> bool:
    if schedule.last_cleanup_id is None:
        return False
    try:
        return ports.cleanups.cleanups.get(schedule.tenant, schedule.last_cleanup_id).active
    except RecordNotFoundError:
        return False


def _finish(ports: Ports, claimed: Schedule, due: str | None, outcome: runs.Outcome) -> Run | None:
    """Count the run and release the lease, only while this runner still holds it; None if it lost it (the
    runner that took over counts the run) or the schedule was deleted."""
    moment = ports.cleanups.clock.now()
    key = runs.run_key(claimed)
    current = claimed
    while current.run_token == claimed.run_token:
        after = runs.finished(current, due, outcome, moment)
        sent = Outgoing(runs.run_event(after, key, due, outcome, moment), after.attributes())
        if ports.schedules.replace(current, after, [sent]):
            ports.outbox.dispatch_outgoing([sent])
            telemetry.schedule_ran(after, outcome.outcome, outcome.cleanup_id, outcome.reason)
            return Run(after, outcome)
        try:
            current = ports.schedules.get(claimed.tenant, claimed.id)  # updated meanwhile: end on what it says now
        except RecordNotFoundError:
            return None
    return None
