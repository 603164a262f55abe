"""What one run of a schedule is and leaves: its idempotency key, the schedule after it, its event. Pure.

A run is for a due time (`next_run_at` when it was claimed) or asked with `_run` (no due time).
Its key is fixed by the due time, so every runner that takes a due time over after a crash
creates through the same idempotency claim: one cleanup per due time. Why: docs/DESIGN.md#schedules
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib.events.model import SCHEDULE_RUN, Event, derived_id
from chalicelib.idempotency import Claim
from chalicelib.schedules.domain.model import CREATED, TYPE, Schedule, next_run_at
from chalicelib.tenancy import iso

CLAIM_SCOPE = "cleanup_schedules.run"  # the idempotency key space of the runs' creates
CLAIM_LIFETIME = timedelta(days=2)  # far past any lease: a due time's run is over long before


@dataclass(frozen=True)
class Outcome:
    """What a run did: `created` (and the cleanup), or a skip or failure (and why)."""

    outcome: str
    cleanup_id: str | None = None
    reason: str | None = None


def run_key(schedule: Schedule) -> str:
    """The idempotency key of the held run: `<schedule id>@<due time>`; a `_run` one is keyed by its token."""
    return f"{schedule.id}@{schedule.run_due_at or 'run:' + str(schedule.run_token)}"


def run_claim(schedule: Schedule, moment: datetime) -> Claim:
    """The claim of the held run's create: its key, and a fingerprint that depends on the key alone (a runner
    that takes a due time over resolves the filters later, so the cleanup it would post differs)."""
    key = run_key(schedule)
    issued = int(moment.timestamp())
    return Claim(schedule.tenant, CLAIM_SCOPE, key, hashlib.sha256(key.encode()).hexdigest(), issued,
                 issued + int(CLAIM_LIFETIME.total_seconds()))


def held(schedule: Schedule, token: str, due: str | None, now: float, lease_seconds: float) -> Schedule:
    """The schedule claimed by runner `token` for `due` (None: a `_run`) until `lease_seconds` from `now`."""
    return replace(schedule, run_token=token, run_lease_until=now + lease_seconds, run_due_at=due,
                   version=schedule.version + 1)


def free(schedule: Schedule, now: float) -> bool:
    """No runner holds the schedule, or its lease ran out (its runner is dead)."""
    return schedule.run_token is None or (schedule.run_lease_until or 0) <= now


def finished(current: Schedule, due: str | None, outcome: Outcome, moment: datetime) -> Schedule:
    """The schedule after its held run: the run counted, the lease gone, and `next_run_at` the first cron time
    after `moment` for a due run (every time missed meanwhile coalesced into this one); a `_run` leaves it."""
    if due is not None:
        upcoming = next_run_at(current.cron, current.enabled, moment)
    else:
        upcoming = current.next_run_at if current.enabled else None
    last_cleanup = outcome.cleanup_id if outcome.outcome == CREATED else current.last_cleanup_id
    return replace(current, next_run_at=upcoming, last_run_at=iso(moment), last_run_outcome=outcome.outcome,
                   last_cleanup_id=last_cleanup, runs_count=current.runs_count + 1, run_token=None,
                   run_lease_until=None, run_due_at=None, version=current.version + 1)


def run_event(schedule: Schedule, key: str, due: str | None, outcome: Outcome, moment: datetime) -> Event:
    """`cleanup_schedules.run`, its id fixed by the run's key: the same run reported twice is one event."""
    metadata: dict[str, Any] = {"outcome": outcome.outcome, "cleanup_id": outcome.cleanup_id, "due_at": due}
    if outcome.reason is not None:
        metadata["reason"] = outcome.reason
    return Event(tenant=schedule.tenant, id=derived_id(schedule.tenant.key, schedule.id, SCHEDULE_RUN, key),
                 name=SCHEDULE_RUN, resource_type=TYPE, resource_id=schedule.id, created_at=iso(moment),
                 updated_at=iso(moment), metadata=metadata)
