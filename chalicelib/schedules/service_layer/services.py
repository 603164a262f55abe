"""Use cases of the cleanup_schedules resource: create, get, list, update (pause, resume, run now), delete.

Each takes the `Ports` first. Every write is conditional on the version it read; a lost race reads
again. A change of `cron` or `enabled` moves `next_run_at`, except while a due run is held: that
run's end moves it (`chalicelib.schedules.service_layer.runner`).
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from chalicelib.cleanups import Actor, Cleanup
from chalicelib.exceptions import RecordNotFoundError
from chalicelib.idempotency import Claim
from chalicelib.schedules.domain.model import (
    DETAILS,
    MAX_PER_TENANT,
    Schedule,
    check_cron,
    check_selection,
    next_run_at,
    validate_create,
    validate_update,
)
from chalicelib.schedules.exceptions import ScheduleBusyError
from chalicelib.schedules.ports import Ports
from chalicelib.schedules.service_layer.runner import run_now
from chalicelib.tenancy import Tenant, iso, new_id

WRITE_ATTEMPTS = 10  # an update retried this often against concurrent runs and updates before a 409


def create_schedule(ports: Ports, tenant: Tenant, attributes: dict[str, Any], claim: Claim | None = None) -> Schedule:
    """A schedule whose first run is its cron's next time; with a `claim`, only if its idempotency key is free."""
    settings, moment = ports.cleanups.settings, ports.cleanups.clock.now()
    cron = validate_create(attributes, settings.max_cleanup_records, moment)
    enabled = attributes.get("enabled", True)
    schedule = Schedule(
        tenant=tenant, id=new_id(), name=attributes["name"], resource_type=attributes["resource_type"],
        filters=attributes.get("filters") or {}, cron=cron, created_at=iso(moment), updated_at=iso(moment),
        max_records_per_run=attributes.get("max_records_per_run") or settings.max_cleanup_records, enabled=enabled,
        max_records_per_second=attributes.get("max_records_per_second"), reference=attributes.get("reference"),
        reference_origin=attributes.get("reference_origin"), metadata=attributes.get("metadata") or {},
        next_run_at=next_run_at(cron, enabled, moment),
    )
    ports.schedules.save_new(schedule, MAX_PER_TENANT, claim)
    return schedule


def get_schedule(ports: Ports, tenant: Tenant, schedule_id: str) -> Schedule:
    return ports.schedules.get(tenant, schedule_id)


def list_schedules(ports: Ports, tenant: Tenant) -> list[Schedule]:
    """Every schedule of the tenant (at most 100), for a list sorted or filtered otherwise than by creation."""
    return ports.schedules.list_for(tenant)


def page_schedules(ports: Ports, tenant: Tenant, offset: int, limit: int,
                   newest_first: bool) -> tuple[list[Schedule], int]:
    """A page of the tenant's schedules by `created_at`, and how many it has, read about the page."""
    return ports.schedules.page(tenant, offset, limit, newest_first)


def update_schedule(ports: Ports, tenant: Tenant, schedule_id: str, attributes: dict[str, Any],
                    actor: Actor) -> Schedule:
    """Apply the attributes, then run now if `_run` is true (`ScheduleBusyError` while a run is under way)."""
    wants_run = validate_update(attributes, ports.cleanups.settings.max_cleanup_records)
    changes = {name: value for name, value in attributes.items() if name != "_run"}
    schedule = _changed(ports, tenant, schedule_id, changes) if changes else ports.schedules.get(tenant, schedule_id)
    if not wants_run:
        return schedule
    run = run_now(ports, schedule, actor)
    if run is None:
        ports.schedules.get(tenant, schedule_id)  # deleted while it ran: not found, as any missing schedule
        raise ScheduleBusyError()
    return run.schedule


def _changed(ports: Ports, tenant: Tenant, schedule_id: str, changes: dict[str, Any]) -> Schedule:
    for _ in range(WRITE_ATTEMPTS):
        before = ports.schedules.get(tenant, schedule_id)
        after = _with_changes(before, changes, ports.cleanups.clock.now())
        if ports.schedules.replace(before, after):
            return after
    raise ScheduleBusyError("The schedule kept changing while it was updated; try again")


def _with_changes(before: Schedule, changes: dict[str, Any], moment: datetime) -> Schedule:
    """The schedule as the update leaves it; `next_run_at` follows a new cron or `enabled`, unless a due run
    is held (its end recomputes it from what the schedule says then)."""
    values: dict[str, Any] = {name: changes[name] for name in DETAILS if name in changes}
    if "metadata" in values and values["metadata"] is None:
        values["metadata"] = {}
    if "filters" in changes:
        filters = changes["filters"] if changes["filters"] is not None else {}
        check_selection(before.resource_type, filters, moment)
        values["filters"] = filters
    cron = check_cron(changes["cron"]) if "cron" in changes else before.cron
    enabled = changes.get("enabled", before.enabled)
    after = replace(before, **values, cron=cron, enabled=enabled, updated_at=iso(moment), version=before.version + 1)
    if (cron, enabled) != (before.cron, before.enabled) and before.run_due_at is None:
        after = replace(after, next_run_at=next_run_at(cron, enabled, moment))
    return after


def delete_schedule(ports: Ports, tenant: Tenant, schedule_id: str) -> None:
    """Remove it; the cleanups its runs created stay (their `schedule` then names nothing)."""
    schedule = ports.schedules.get(tenant, schedule_id)
    if not ports.schedules.delete(schedule):
        raise RecordNotFoundError(f"No cleanup schedule {schedule_id}")


def runs_page(ports: Ports, tenant: Tenant, schedule_id: str, offset: int, limit: int | None,
              newest_first: bool) -> tuple[list[Cleanup], int]:
    """The cleanups the schedule's runs created (those not deleted since), `offset` to `offset + limit` (None: all)
    by `created_at`, and how many in all, read about the page (`RecordNotFoundError` with no such schedule)."""
    ports.schedules.get(tenant, schedule_id)
    return ports.cleanups.cleanups.runs_page(tenant, schedule_id, offset, limit, newest_first)


def run_ids(ports: Ports, tenant: Tenant, schedule_id: str, offset: int, limit: int | None) -> tuple[list[str], int]:
    """The ids of the cleanups the schedule's runs created, newest first, `offset` to `offset + limit` (None: all),
    and how many in all (`RecordNotFoundError` with no such schedule)."""
    ports.schedules.get(tenant, schedule_id)
    return ports.cleanups.cleanups.run_ids(tenant, schedule_id, offset, limit)

