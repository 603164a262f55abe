"""In-memory adapters for every cleanup port, with the DynamoDB adapters' semantics.

`InMemoryCleanupRepository` answers like `DynamoCleanupRepository` (conditional transitions,
a sub-batch counted once, begun only while the cleanup is active, every write committed
with its events, versions and slot count or not at all): the contract test in
tests/integration/test_cleanup_repository_contract.py runs the same checks on both.
The events port is the real recorder over `InMemoryEventLog`. `Faults` kills the
"process" at named points (`<write>:before`/`:after` the commit, `send:<kind>`,
`mark_dispatched`).
"""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.cleanups import (
    CREATED_AT,
    Cleanup,
    Deletion,
    Listing,
    Ports,
    Restoration,
    continue_selection,
    finish_report,
    process_batch,
    restore_batch,
)
from chalicelib.cleanups.domain.fairness import Held
from chalicelib.cleanups.domain.model import PENDING, TERMINAL
from chalicelib.cleanups.domain.pacing import Pace
from chalicelib.cleanups.exceptions import CleanupLimitError, ThrottleFinishedError
from chalicelib.cleanups.ports import Sample, Start
from chalicelib.config import Settings, default_settings
from chalicelib.events import CleanupEventsRecorder, Event, Outgoing, Recorded, Version, Webhook
from chalicelib.exceptions import RecordNotFoundError
from chalicelib.filters import Condition, matches
from chalicelib.idempotency import Claim, IdempotencyKeyTakenError, StoredClaim
from chalicelib.messages import tenant_of
from chalicelib.previews import KIND as PREVIEW_KIND
from chalicelib.previews import PENDING as PREVIEW_PENDING
from chalicelib.previews import Page, Preview, Selection, continue_preview
from chalicelib.previews import Ports as PreviewPorts
from chalicelib.records.model import TAKEN
from chalicelib.records.preview import associated_types
from chalicelib.schedules import Ports as SchedulePorts
from chalicelib.schedules import Schedule
from chalicelib.schedules.exceptions import ScheduleLimitError
from chalicelib.tenancy import Tenant, iso

MODIFIED = "has been modified after the cleanup was created"
START = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


class Crash(RuntimeError):
    """The process dies here: a fault a test injected."""


@dataclass
class Faults:
    """Crash points a test arms: `arm("transition:after", skip=1)` crashes the second time it is passed."""

    armed: dict[str, int] = field(default_factory=dict)
    fired: list[str] = field(default_factory=list)

    def arm(self, point: str, skip: int = 0) -> None:
        self.armed[point] = skip

    def check(self, point: str) -> None:
        if point not in self.armed:
            return
        if self.armed[point] > 0:
            self.armed[point] -= 1
            return
        del self.armed[point]
        self.fired.append(point)
        raise Crash(point)


@dataclass
class InMemoryEventLog:
    """Implements the recorder's `EventLog`; holds what cleanup writes committed: events, versions, the outbox."""

    events: list[Event] = field(default_factory=list)
    versions: list[Version] = field(default_factory=list)
    outbox: dict[str, Outgoing] = field(default_factory=dict)
    hooks: list[Webhook] = field(default_factory=list)
    faults: Faults = field(default_factory=Faults)

    def commit(self, recorded: Recorded) -> None:
        """What a repository write commits with it (its caller applies both or neither)."""
        self.events += recorded.events
        self.versions += recorded.versions
        self.outbox.update({e.id: Outgoing(e, recorded.cleanup.attributes()) for e in recorded.events})

    def webhooks(self, tenant: Tenant) -> list[Webhook]:
        return [hook for hook in self.hooks if hook.tenant == tenant]

    def undispatched(self, before: str) -> list[Outgoing]:
        left = [o for o in self.outbox.values() if o.event.updated_at < before]
        return sorted(left, key=lambda o: o.event.updated_at)

    def mark_dispatched(self, event: Event) -> None:
        self.faults.check("mark_dispatched")
        self.outbox.pop(event.id, None)

    def names(self, cleanup_id: str) -> list[str]:
        """The topics of the cleanup's committed events, in commit order."""
        return [e.name for e in self.events if e.resource_id == cleanup_id]

    def statuses(self, cleanup_id: str) -> list[str]:
        """The statuses the cleanup's committed versions moved it to, in commit order."""
        return [v.changes["status"][1] for v in self.versions
                if v.resource_id == cleanup_id and v.event == "update" and "status" in v.changes]

    def whos(self, cleanup_id: str) -> list[dict[str, Any]]:
        return [v.who for v in self.versions if v.resource_id == cleanup_id]


class InMemoryClaims:
    """Implements `chalicelib.idempotency.ClaimStore`; the repositories that create write into it."""

    def __init__(self) -> None:
        self.claims: dict[tuple[str, str, str], tuple[StoredClaim, int]] = {}

    @staticmethod
    def _key(claim: Claim) -> tuple[str, str, str]:
        return claim.tenant.key, claim.scope, claim.key

    def find(self, claim: Claim) -> StoredClaim | None:
        stored = self.claims.get(self._key(claim))
        return stored[0] if stored is not None and stored[1] > claim.issued_at else None

    def check_free(self, claim: Claim) -> None:
        """The claim's condition: `IdempotencyKeyTakenError` while a live claim holds its key."""
        if self.find(claim) is not None:
            raise IdempotencyKeyTakenError

    def take(self, claim: Claim, resource_id: str) -> None:
        self.claims[self._key(claim)] = (StoredClaim(resource_id, claim.fingerprint), claim.expires_at)


def _startable(stored: Cleanup, pace: Pace | None) -> bool:
    """The conditions of `start_sub_batch`: the cleanup is active, its throttle as `pace` planned."""
    if not stored.may_begin:
        return False
    return pace is None or (stored.max_records_per_second, stored.paced_until) == (pace.rate, pace.was)


def _started(stored: Cleanup, number: int, pace: Pace | None) -> Cleanup:
    paced_until = stored.paced_until if pace is None or pace.until is None else pace.until
    return replace(stored, started=stored.started | {number}, paced_until=paced_until)


class InMemoryCleanupRepository:
    """Implements `CleanupRepository` in dicts; each write applies its `Recorded` to `log` with it."""

    def __init__(self, log: InMemoryEventLog | None = None, claims: InMemoryClaims | None = None) -> None:
        self.cleanups: dict[tuple[str, str], Cleanup] = {}
        self.batches: dict[tuple[str, str], list[list[str]]] = {}
        self.reconciles: dict[tuple[str, str], int] = {}
        self.slots: dict[str, int] = {}
        self.leases: dict[tuple[str, str], tuple[str, float]] = {}  # selection leases: token, until
        self.report_owed: set[tuple[str, str]] = set()  # finished, report not noted written: `unreported`
        self.log = log or InMemoryEventLog()
        self.claims = claims or InMemoryClaims()

    @staticmethod
    def _key(tenant: Tenant, cleanup_id: str) -> tuple[str, str]:
        return tenant.key, cleanup_id

    def _put(self, cleanup: Cleanup) -> Cleanup:
        self.cleanups[self._key(cleanup.tenant, cleanup.id)] = cleanup
        return replace(cleanup)

    def _commit(self, write: str, recorded: Recorded, apply: Callable[[], object]) -> None:
        """One transaction: `apply` and `recorded` together; the process may die before or after it."""
        self.log.faults.check(f"{write}:before")
        apply()
        self.log.commit(recorded)
        self.log.faults.check(f"{write}:after")

    def _move_slots(self, tenant: Tenant, by: int) -> None:
        self.slots[tenant.key] = self.slots.get(tenant.key, 0) + by

    def slots_taken(self, tenant: Tenant) -> int:
        return self.slots.get(tenant.key, 0)

    def save_new(self, cleanup: Cleanup, batches: Sequence[Sequence[str]], recorded: Recorded, limit: int,
                 claim: Claim | None = None) -> None:
        key = self._key(cleanup.tenant, cleanup.id)
        if claim is not None:
            self.claims.check_free(claim)
        if cleanup.active and self.slots_taken(cleanup.tenant) >= limit:
            raise CleanupLimitError(limit)
        if key in self.cleanups:
            raise RuntimeError(f"cleanup {cleanup.id} exists")  # the conditional put refused

        def apply() -> None:
            self.batches[key] = [list(ids) for ids in batches]
            self._put(replace(cleanup))
            if cleanup.active:
                self._move_slots(cleanup.tenant, 1)
            elif cleanup.report_written_at is None:
                self.report_owed.add(key)
            if claim is not None:
                self.claims.take(claim, cleanup.id)
        self._commit("save_new", recorded, apply)

    def get(self, tenant: Tenant, cleanup_id: str) -> Cleanup:
        stored = self.cleanups.get(self._key(tenant, cleanup_id))
        if stored is None:
            raise RecordNotFoundError(f"No cleanup {cleanup_id}")
        return replace(stored)

    def list_for(self, tenant: Tenant) -> list[Cleanup]:
        return [replace(c) for key, c in sorted(self.cleanups.items()) if key[0] == tenant.key]

    def page(self, tenant: Tenant, listing: Listing) -> tuple[list[Cleanup], int]:
        kept = [c for c in self.list_for(tenant) if listing.status in (None, c.status)
                and (listing.reference is None or c.reference == listing.reference)]
        if listing.by == CREATED_AT:
            ordered = sorted(kept, key=lambda c: c.created_at, reverse=listing.descending)  # stable: ties in id order
        else:
            ordered = kept[::-1] if listing.descending else kept
        return ordered[listing.offset:listing.offset + listing.limit], len(kept)

    def runs_page(self, tenant: Tenant, schedule_id: str, offset: int, limit: int | None,
                  descending: bool) -> tuple[list[Cleanup], int]:
        runs = [c for c in self.list_for(tenant) if c.schedule_id == schedule_id]
        ordered = sorted(runs, key=lambda c: c.created_at, reverse=descending)  # stable: ties in id order
        return ordered[offset:None if limit is None else offset + limit], len(runs)

    def run_ids(self, tenant: Tenant, schedule_id: str, offset: int, limit: int | None) -> tuple[list[str], int]:
        page, total = self.runs_page(tenant, schedule_id, offset, limit, descending=True)
        return [c.id for c in page], total

    def get_with_batch(self, tenant: Tenant, cleanup_id: str, number: int) -> tuple[Cleanup, list[str]]:
        return self.get(tenant, cleanup_id), self.batch_ids(tenant, cleanup_id, number)

    def batch_ids(self, tenant: Tenant, cleanup_id: str, number: int) -> list[str]:
        batches = self.batches.get(self._key(tenant, cleanup_id), [])
        return list(batches[number]) if number < len(batches) else []

    def transition(self, before: Cleanup, after: Cleanup, recorded: Recorded) -> bool:
        stored = self.cleanups.get(self._key(before.tenant, before.id))
        if stored is None or stored.status != before.status:
            return False
        if before.interrupt_request is None and stored.interrupt_request is not None:
            return False

        def apply() -> None:
            self._put(replace(stored, status=after.status, updated_at=after.updated_at, started_at=after.started_at,
                              completed_at=after.completed_at or stored.completed_at,
                              interrupted_at=after.interrupted_at or stored.interrupted_at))
            if before.active and not after.active:
                self._move_slots(before.tenant, -1)
                self.report_owed.add(self._key(before.tenant, before.id))
        self._commit("transition", recorded, apply)
        return True

    def update_details(self, cleanup: Cleanup, changes: dict[str, Any], recorded: Recorded) -> Cleanup:
        stored = self.cleanups.get(self._key(cleanup.tenant, cleanup.id))
        if stored is None:
            raise RecordNotFoundError(f"No cleanup {cleanup.id}")
        if "max_records_per_second" in changes and not stored.active:
            raise ThrottleFinishedError(stored.status)
        values = {name: {} if name == "metadata" and value is None else value for name, value in changes.items()}
        self._commit("update_details", recorded, lambda: self._put(replace(stored, **values,
                                                                            updated_at=cleanup.updated_at)))
        return self.get(cleanup.tenant, cleanup.id)

    def start_sub_batch(self, tenant: Tenant, cleanup_id: str, number: int, pace: Pace | None = None) -> bool:
        stored = self.cleanups.get(self._key(tenant, cleanup_id))
        if stored is None or not _startable(stored, pace):
            return False
        self._put(_started(stored, number, pace))
        return True

    def count_sub_batch(self, tenant: Tenant, cleanup_id: str, number: int, processed: int, errors: int,
                        errors_log: dict[str, Any], updated_at: str, sample: Sample | None = None,
                        then_start: Start | None = None) -> Cleanup | None:
        key = self._key(tenant, cleanup_id)
        stored = self.cleanups.get(key)
        if stored is None or number in stored.counted:
            return None
        if then_start is not None and not _startable(stored, then_start.pace):
            return None
        samples = stored.progress_samples if sample is None else {**stored.progress_samples, sample[0]: list(sample[1])}
        after = replace(
            stored, processed_count=stored.processed_count + processed, errors_count=stored.errors_count + errors,
            counted_records=stored.counted_records + processed + errors, counted=stored.counted | {number},
            updated_at=updated_at, errors_log={**stored.errors_log, **errors_log}, progress_samples=samples)
        if then_start is not None:
            after = _started(after, then_start.number, then_start.pace)
        self.reconciles[key] = 0
        return self._put(after)

    def mark_report_written(self, tenant: Tenant, cleanup_id: str, written_at: str) -> None:
        stored = self.cleanups.get(self._key(tenant, cleanup_id))
        if stored is not None:
            self.report_owed.discard(self._key(tenant, cleanup_id))
            self._put(replace(stored, report_written_at=written_at))

    def unreported(self, before: str) -> Iterator[Cleanup]:
        found = [c for key, c in self.cleanups.items()
                 if key in self.report_owed and not c.restoring and c.updated_at < before]
        return iter([replace(c) for c in sorted(found, key=lambda c: c.updated_at)])

    def drop_report_request(self, cleanup: Cleanup) -> None:
        self.report_owed.discard(self._key(cleanup.tenant, cleanup.id))

    def request_interrupt(self, cleanup: Cleanup, request: dict[str, Any]) -> Cleanup | None:
        stored = self.cleanups.get(self._key(cleanup.tenant, cleanup.id))
        if stored is None or not stored.active or stored.interrupt_request is not None:
            return None
        return self._put(replace(stored, interrupt_request=dict(request)))

    def report(self, recorded: Recorded) -> None:
        self._commit("report", recorded, lambda: None)

    def lease_selection(self, cleanup: Cleanup, token: str, now: float, until: float) -> bool:
        key = self._key(cleanup.tenant, cleanup.id)
        stored = self.cleanups.get(key)
        if stored is None or stored.status != PENDING or not stored.selecting:
            return False
        if stored.selection_pages != cleanup.selection_pages or self.leases.get(key, ("", 0.0))[1] >= now:
            return False
        self.leases[key] = (token, until)
        return True

    def checkpoint_selection(self, before: Cleanup, after: Cleanup, batches: Sequence[Sequence[str]],
                             token: str) -> bool:
        key = self._key(before.tenant, before.id)
        self.log.faults.check("checkpoint_selection:batches")
        snapshot = self.batches.setdefault(key, [])
        for number, ids in enumerate(batches, start=before.batch_count):  # written first, like DynamoDB's
            snapshot.extend([] for _ in range(number + 1 - len(snapshot)))
            snapshot[number] = list(ids)
        self.log.faults.check("checkpoint_selection:before")
        stored = self.cleanups.get(key)
        if (stored is None or stored.status != PENDING or stored.selection_pages != before.selection_pages
                or self.leases.get(key, ("", 0.0))[0] != token):
            return False
        cursor = after.selection_cursor if after.selection_cursor is not None else stored.selection_cursor
        log = {**stored.errors_log, **{k: v for k, v in after.errors_log.items() if k not in before.errors_log}}
        self._put(replace(stored, records_count=after.records_count, batch_count=after.batch_count,
                          sub_batch_count=after.sub_batch_count, selection_pages=after.selection_pages,
                          selecting=after.selecting, updated_at=after.updated_at, selection_cursor=cursor,
                          errors_log=log))
        self.reconciles[key] = 0
        del self.leases[key]
        self.log.faults.check("checkpoint_selection:after")
        return True

    def mark_reconciled(self, cleanup: Cleanup, updated_at: str) -> None:
        key = self._key(cleanup.tenant, cleanup.id)
        self.reconciles[key] = self.reconciles.get(key, 0) + 1
        if key in self.cleanups:
            self._put(replace(self.cleanups[key], updated_at=updated_at))

    def reconcile_count(self, cleanup: Cleanup) -> int:
        return self.reconciles.get(self._key(cleanup.tenant, cleanup.id), 0)

    def stale(self, before: str) -> Iterator[Cleanup]:
        found = [c for c in self.cleanups.values() if c.active and c.updated_at < before]
        return iter([replace(c) for c in sorted(found, key=lambda c: c.updated_at)])

    def delete(self, cleanup: Cleanup, recorded: Recorded) -> bool:
        key = self._key(cleanup.tenant, cleanup.id)
        if cleanup.status not in TERMINAL:
            return False
        self.batches.pop(key, None)
        stored = self.cleanups.get(key)
        if stored is None or stored.status not in TERMINAL:
            return False
        self._commit("delete", recorded, lambda: self.cleanups.pop(key))
        return True

    def restore_transition(self, before: Cleanup, after: Cleanup, recorded: Recorded) -> bool:
        if after.restore_status is None:
            raise ValueError("a restore never goes back to none")
        stored = self.cleanups.get(self._key(before.tenant, before.id))
        if stored is None or stored.restore_status != before.restore_status or stored.status not in TERMINAL:
            return False
        reset = (dict(restored_count=0, restore_errors_count=0, restore_errors_log={})
                 if before.restore_status is None else {})  # a resume keeps its counts
        key = self._key(before.tenant, before.id)

        def apply() -> None:
            if after.restore_status == PENDING:
                self.reconciles[key] = 0
            self._put(replace(stored, restore_status=after.restore_status, updated_at=after.updated_at, **reset))
        self._commit("restore_transition", recorded, apply)
        return True

    def start_restore_sub_batch(self, tenant: Tenant, cleanup_id: str, number: int) -> bool:
        stored = self.cleanups.get(self._key(tenant, cleanup_id))
        if stored is None or not stored.restoring:
            return False
        self._put(replace(stored, restore_started=stored.restore_started | {number}))
        return True

    def count_restore_sub_batch(self, tenant: Tenant, cleanup_id: str, number: int, restored: int, errors: int,
                                errors_log: dict[str, Any], updated_at: str) -> Cleanup | None:
        key = self._key(tenant, cleanup_id)
        stored = self.cleanups.get(key)
        if stored is None or stored.restore_status is None or number in stored.restore_counted:
            return None
        self.reconciles[key] = 0
        return self._put(replace(
            stored, restored_count=stored.restored_count + restored,
            restore_errors_count=stored.restore_errors_count + errors,
            restore_counted=stored.restore_counted | {number}, updated_at=updated_at,
            restore_errors_log={**stored.restore_errors_log, **errors_log}))

    def stale_restores(self, before: str) -> Iterator[Cleanup]:
        found = [c for c in self.cleanups.values() if c.restoring and c.updated_at < before]
        return iter([replace(c) for c in sorted(found, key=lambda c: c.updated_at)])


@dataclass
class InMemoryRecords:
    """Implements `RecordStore`: records as attribute dicts; deletion may crash or call back on purpose.

    - `crash_on`: delete calls (1-based) that delete the first half of their ids, then raise.
    - `after_delete`: called after every completed delete (e.g. a client's interrupt between sub-batches).
    - `archive`: what each sub-batch deletes, written before it deletes, by (tenant, cleanup id, number).
    - `restore_crash_on`, `after_restore`: the same as the first two, for restores.
    """

    records: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    crash_on: set[int] = field(default_factory=set)
    after_delete: Callable[[], None] | None = None
    calls: list[list[str]] = field(default_factory=list)
    archive: dict[tuple[str, str, int], dict[tuple[str, str, str], dict[str, Any]]] = field(default_factory=dict)
    restore_crash_on: set[int] = field(default_factory=set)
    after_restore: Callable[[], None] | None = None
    restore_calls: list[int] = field(default_factory=list)
    pages_read: int = 0  # selection pages read (select_page calls)
    after_preview_page: Callable[[list[str]], None] = lambda ids: None  # called with each preview page's ids
    after_preview: Callable[[], None] = lambda: None  # called after a preview's read of the whole selection

    def add(self, tenant: Tenant, type_name: str, record_id: str, updated_at: datetime, **attributes: Any) -> None:
        self.records[(tenant.key, type_name, record_id)] = {"id": record_id, "updated_at": iso(updated_at),
                                                            **attributes}

    def ids(self, tenant: Tenant, type_name: str) -> set[str]:
        return {i for key, t, i in self.records if (key, t) == (tenant.key, type_name)}

    def select_ids(self, tenant: Tenant, resource_type: str, conditions: Sequence[Condition],
                   limit: int) -> list[str]:
        found = sorted(i for i in self.ids(tenant, resource_type)
                       if matches(conditions, self.records[(tenant.key, resource_type, i)]))
        return found[:limit + 1]

    def select_page(self, tenant: Tenant, resource_type: str, conditions: Sequence[Condition], after: str | None,
                    size: int) -> tuple[list[str], bool]:
        found = [i for i in self.select_ids(tenant, resource_type, conditions, len(self.records))
                 if after is None or i > after]
        self.pages_read += 1
        return found[:size], len(found) > size

    def existing_ids(self, tenant: Tenant, resource_type: str, ids: Sequence[str]) -> list[str]:
        return sorted(set(ids) & self.ids(tenant, resource_type))

    def delete_sub_batch(self, tenant: Tenant, resource_type: str, ids: Sequence[str], *,
                         not_modified_after: str, cleanup_id: str, number: int) -> Deletion:
        self.calls.append(list(ids))
        crash = len(self.calls) in self.crash_on
        planned = {(tenant.key, resource_type, i): dict(self.records[(tenant.key, resource_type, i)]) for i in ids
                   if (tenant.key, resource_type, i) in self.records
                   and self.records[(tenant.key, resource_type, i)]["updated_at"] <= not_modified_after}
        self.archive.setdefault((tenant.key, cleanup_id, number), planned)  # a redelivery keeps the first plan
        outcome = Deletion()
        for position, record_id in enumerate(ids):
            if crash and position >= len(ids) // 2:
                raise RuntimeError("worker killed half-way through a sub-batch")
            record = self.records.get((tenant.key, resource_type, record_id))
            if record is not None and record["updated_at"] > not_modified_after:
                outcome.errors[record_id] = {"updated_at": [MODIFIED]}
                continue
            self.records.pop((tenant.key, resource_type, record_id), None)
            outcome.deleted.append(record_id)  # already gone counts as deleted
        for record_id in outcome.errors:  # kept, so no longer archived
            self.archive[(tenant.key, cleanup_id, number)].pop((tenant.key, resource_type, record_id), None)
        if self.after_delete is not None:
            self.after_delete()
        return outcome

    def deleted_with(self, tenant: Tenant, cleanup_id: str, number: int) -> dict[str, dict[str, int]]:
        """The fake deletes no associated records: each archived root took none with it."""
        return {key[2]: {} for key in self.archive.get((tenant.key, cleanup_id, number), {})}

    def restore_sub_batch(self, tenant: Tenant, cleanup_id: str, number: int) -> Restoration:
        """Each archived record back unless its id exists (changed) or its code is taken by another record."""
        self.restore_calls.append(number)
        crash = len(self.restore_calls) in self.restore_crash_on
        archived = self.archive.get((tenant.key, cleanup_id, number))
        if archived is None:
            return Restoration(archived=False)
        outcome = Restoration()
        for position, (key, image) in enumerate(archived.items()):
            if crash and position >= len(archived) // 2:
                raise RuntimeError("worker killed half-way through a restore")
            current = self.records.get(key)
            if current is not None and current != image:
                outcome.errors[key[2]] = {"id": ["already exists"]}
            elif current is None and self._code_taken(key, image):
                outcome.errors[key[2]] = {"code": [TAKEN]}
            else:
                self.records[key] = dict(image)
                outcome.restored.append(key[2])
        if self.after_restore is not None:
            self.after_restore()
        return outcome

    def _code_taken(self, key: tuple[str, str, str], image: dict[str, Any]) -> bool:
        return "code" in image and any(k[:2] == key[:2] and r.get("code") == image["code"]
                                       for k, r in self.records.items())

    def preview(self, tenant: Tenant, resource_type: str, conditions: Sequence[Condition], *, limit: int,
                sample_size: int) -> Selection:
        """Implements `RecordsPreviewer`: a record's `children` (`"<type>/<id>"`) that exist, counted once."""
        ids = self.select_ids(tenant, resource_type, conditions, limit)
        self.after_preview()
        if len(ids) > limit:
            return Selection(ids=ids)
        return self._counted(tenant, resource_type, ids, sample_size)

    def preview_page(self, tenant: Tenant, resource_type: str, conditions: Sequence[Condition], *,
                     after: str | None, size: int, sample_size: int) -> Page:
        """Implements `RecordsPreviewer`: `select_page`'s page, counted as `preview` counts."""
        ids, more = self.select_page(tenant, resource_type, conditions, after, size)
        self.after_preview_page(ids)
        counted = self._counted(tenant, resource_type, ids, sample_size)
        return Page(ids=counted.ids, sample=counted.sample, associated=counted.associated, more=more)

    def _counted(self, tenant: Tenant, resource_type: str, ids: list[str], sample_size: int) -> Selection:
        sample = [{"id": i, **{name: self.records[(tenant.key, resource_type, i)].get(name)
                               for name in ("code", "name")}} for i in ids[:sample_size]]
        counts: dict[str, int] = {}
        seen: set[str] = set()
        frontier = [self.records[(tenant.key, resource_type, i)] for i in ids]
        while frontier:
            refs = [ref for record in frontier for ref in record.get("children", []) if ref not in seen]
            seen.update(refs)
            found = [(ref.split("/")[0], self.records.get((tenant.key, *ref.split("/")))) for ref in refs]
            for type_name, record in found:
                counts[type_name] = counts.get(type_name, 0) + (record is not None)
            frontier = [record for _, record in found if record is not None]
        every_type = {name: counts.pop(name, 0) for name in associated_types(resource_type)}
        return Selection(ids=ids, sample=sample, associated={**every_type, **counts})


@dataclass
class InMemoryPreviews:
    """Implements `PreviewRepository` with the adapter's conditions: previews by (tenant, id), a page lease and a
    reconcile count each; nothing ever expires on its own. `faults`: `checkpoint_preview:before|after`."""

    previews: dict[tuple[str, str], Preview] = field(default_factory=dict)
    claims: InMemoryClaims = field(default_factory=InMemoryClaims)
    leases: dict[tuple[str, str], tuple[str, float]] = field(default_factory=dict)
    reconciles: dict[tuple[str, str], int] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)

    def save_new(self, preview: Preview, claim: Claim | None = None) -> None:
        assert (preview.tenant.key, preview.id) not in self.previews
        if claim is not None:
            self.claims.check_free(claim)
            self.claims.take(claim, preview.id)
        self.previews[(preview.tenant.key, preview.id)] = replace(preview)

    def get(self, tenant: Tenant, preview_id: str) -> Preview:
        try:
            return replace(self.previews[(tenant.key, preview_id)])
        except KeyError:
            raise RecordNotFoundError(f"No cleanup preview {preview_id}") from None

    def _pending_at(self, preview: Preview) -> Preview | None:
        stored = self.previews.get((preview.tenant.key, preview.id))
        return stored if stored is not None and stored.status == PREVIEW_PENDING and stored.pages == preview.pages \
            else None

    def lease_page(self, preview: Preview, token: str, now: float, until: float) -> bool:
        key = (preview.tenant.key, preview.id)
        if self._pending_at(preview) is None or self.leases.get(key, ("", 0.0))[1] >= now:
            return False
        self.leases[key] = (token, until)
        return True

    def checkpoint(self, before: Preview, after: Preview, token: str) -> bool:
        key = (before.tenant.key, before.id)
        self.faults.check("checkpoint_preview:before")
        if self._pending_at(before) is None or self.leases.get(key, ("", 0.0))[0] != token:
            return False
        self.previews[key] = replace(after)
        self.reconciles[key] = 0
        del self.leases[key]
        self.faults.check("checkpoint_preview:after")
        return True

    def stale(self, before: str) -> Iterator[Preview]:
        found = [p for p in self.previews.values()
                 if p.status == PREVIEW_PENDING and p.updated_at is not None and p.updated_at < before]
        return iter([replace(p) for p in sorted(found, key=lambda p: p.updated_at or "")])

    def mark_reconciled(self, preview: Preview, updated_at: str) -> int:
        key = (preview.tenant.key, preview.id)
        stored = self.previews.get(key)
        if stored is None or stored.status != PREVIEW_PENDING:
            return 0
        self.reconciles[key] = self.reconciles.get(key, 0) + 1
        self.previews[key] = replace(stored, updated_at=updated_at)
        return self.reconciles[key]

    def fail(self, before: Preview, after: Preview) -> bool:
        stored = self._pending_at(before)
        if stored is None:
            return False
        self.previews[(before.tenant.key, before.id)] = replace(stored, status=after.status, errors=after.errors,
                                                                updated_at=after.updated_at)
        return True


class InMemorySchedules:
    """Implements `ScheduleRepository` like `DynamoScheduleRepository`: whole writes under the version read,
    the tenant's count moved with a create or a delete, the outbox events committed with `replace`;
    `schedule:before` / `schedule:after` faults kill the process around a `replace`."""

    def __init__(self, log: InMemoryEventLog | None = None, claims: InMemoryClaims | None = None) -> None:
        self.schedules: dict[tuple[str, str], Schedule] = {}
        self.counts: dict[str, int] = {}
        self.log = log or InMemoryEventLog()
        self.claims = claims or InMemoryClaims()

    def save_new(self, schedule: Schedule, limit: int, claim: Claim | None = None) -> None:
        if claim is not None:
            self.claims.check_free(claim)
        if self.counts.get(schedule.tenant.key, 0) >= limit:
            raise ScheduleLimitError(limit)
        self.schedules[schedule.tenant.key, schedule.id] = replace(schedule)
        self.counts[schedule.tenant.key] = self.counts.get(schedule.tenant.key, 0) + 1
        if claim is not None:
            self.claims.take(claim, schedule.id)

    def get(self, tenant: Tenant, schedule_id: str) -> Schedule:
        stored = self.schedules.get((tenant.key, schedule_id))
        if stored is None:
            raise RecordNotFoundError(f"No cleanup schedule {schedule_id}")
        return replace(stored)

    def list_for(self, tenant: Tenant) -> list[Schedule]:
        return [replace(s) for (key, _), s in sorted(self.schedules.items()) if key == tenant.key]

    def page(self, tenant: Tenant, offset: int, limit: int, newest_first: bool) -> tuple[list[Schedule], int]:
        mine = self.list_for(tenant)
        ordered = sorted(mine, key=lambda s: s.created_at, reverse=newest_first)  # stable: ties in id order
        return ordered[offset:offset + limit], len(mine)

    def replace(self, before: Schedule, after: Schedule, outbox: Sequence[Outgoing] = ()) -> bool:
        self.log.faults.check("schedule:before")
        stored = self.schedules.get((before.tenant.key, before.id))
        if stored is None or stored.version != before.version:
            return False
        self.schedules[after.tenant.key, after.id] = replace(after)
        self.log.events += [sent.event for sent in outbox]
        self.log.outbox.update({sent.event.id: sent for sent in outbox})
        self.log.faults.check("schedule:after")
        return True

    def delete(self, schedule: Schedule) -> bool:
        if self.schedules.pop((schedule.tenant.key, schedule.id), None) is None:
            return False
        self.counts[schedule.tenant.key] -= 1
        return True

    def due(self, moment: str) -> Iterator[Schedule]:
        found = [s for s in self.schedules.values() if s.next_run_at is not None and s.next_run_at <= moment]
        yield from (replace(s) for s in sorted(found, key=lambda s: str(s.next_run_at)))


class MemoryArchive:
    """Implements `Archive` (S3Archive's semantics) in a dict: bytes by key; `create` keeps the first body."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put(self, key: str, body: bytes) -> None:
        self.objects[key] = body

    def create(self, key: str, body: bytes) -> bytes | None:
        if key in self.objects:
            return self.objects[key]
        self.objects[key] = body
        return None

    def get(self, key: str) -> bytes | None:
        return self.objects.get(key)


class MemoryReports:
    """Implements `ReportStore` (S3ReportStore's semantics) in dicts; `dead_parts`, `dead_files`: the next part
    or file writes that crash (the worker dies before it lands, a part's in its `finally` too)."""

    def __init__(self) -> None:
        self.parts_by_first: dict[tuple[str, str, int], bytes] = {}
        self.files: dict[tuple[str, str], bytes] = {}
        self.dead_parts = 0
        self.dead_files = 0
        self.part_writes = 0

    def put_part(self, tenant: Tenant, cleanup_id: str, first: int, body: bytes) -> None:
        if self.dead_parts > 0:
            self.dead_parts -= 1
            raise Crash("report part")
        self.part_writes += 1
        self.parts_by_first[(tenant.key, cleanup_id, first)] = body

    def parts(self, tenant: Tenant, cleanup_id: str) -> list[bytes]:
        return [body for (key, cid, _), body in sorted(self.parts_by_first.items())
                if (key, cid) == (tenant.key, cleanup_id)]

    def put_report(self, tenant: Tenant, cleanup_id: str, body: bytes) -> None:
        if self.dead_files > 0:
            self.dead_files -= 1
            raise Crash("report file")
        self.files[(tenant.key, cleanup_id)] = body

    def link(self, tenant: Tenant, cleanup_id: str, seconds: int) -> str:
        return f"memory://reports/{tenant.organization_id}/{tenant.mode}/{cleanup_id}/report.csv.gz?expires={seconds}"

    def delete(self, tenant: Tenant, cleanup_id: str) -> None:
        self.files.pop((tenant.key, cleanup_id), None)
        for key in [k for k in self.parts_by_first if k[:2] == (tenant.key, cleanup_id)]:
            del self.parts_by_first[key]


@dataclass
class InMemoryQueue:
    """Implements `WorkQueue`: what was sent, in order, until taken; `send:<kind>` faults refuse a send."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    faults: Faults = field(default_factory=Faults)
    delays: list[int] = field(default_factory=list)  # DelaySeconds of every message sent, in order

    def send(self, messages: Sequence[dict[str, Any]], delay_seconds: int = 0) -> None:
        if messages:
            self.faults.check(f"send:{messages[0]['kind']}")
        self.messages.extend(json.loads(json.dumps(m)) for m in messages)  # what SQS carries is JSON
        self.delays.extend(delay_seconds for _ in messages)

    def take(self) -> list[dict[str, Any]]:
        taken, self.messages = self.messages, []
        return taken


@dataclass
class InMemoryLeases:
    """Implements `TenantLeases` with the adapter's conditions; `claims`/`releases` count the writes tried."""

    slots: dict[tuple[Tenant, int], Held] = field(default_factory=dict)
    claims: int = 0
    releases: int = 0

    def held(self, tenant: Tenant) -> dict[int, Held]:
        return {slot: lease for (owner, slot), lease in self.slots.items() if owner == tenant}

    def claim(self, tenant: Tenant, slot: int, lease: Held, now: float) -> bool:
        self.claims += 1
        current = self.slots.get((tenant, slot))
        if current is not None and current.expires_at > now:
            return False
        self.slots[(tenant, slot)] = lease
        return True

    def release(self, tenant: Tenant, slot: int, holder: str) -> None:
        self.releases += 1
        current = self.slots.get((tenant, slot))
        if current is not None and current.holder == holder:
            del self.slots[(tenant, slot)]

    def in_flight(self, tenant: Tenant, now: float) -> int:
        """Unexpired leases of `tenant`: the workers it holds."""
        return sum(1 for lease in self.held(tenant).values() if lease.expires_at > now)


@dataclass
class AdvancingClock:
    """Implements `Clock`: each reading is `step` after the previous one (time only moves forward)."""

    moment: datetime = START
    step: timedelta = timedelta(milliseconds=10)
    slept: list[float] = field(default_factory=list)  # each sleep, in seconds

    def now(self) -> datetime:
        self.moment += self.step
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)


def settings(**overrides: Any) -> Settings:
    """Small batches (4 records, sub-batches of 2) so a dozen records exercise every path."""
    small: dict[str, Any] = dict(max_cleanup_records=100, max_active_cleanups=2, batch_size=4, sub_batch_size=2,
                                 reconcile_attempts=2)
    return dataclasses.replace(default_settings(), **{**small, **overrides})


@dataclass
class World:
    """Every fake, and the `Ports` over them (the events port is the real recorder on `events`)."""

    cleanups: InMemoryCleanupRepository = field(default_factory=InMemoryCleanupRepository)
    records: InMemoryRecords = field(default_factory=InMemoryRecords)
    queue: InMemoryQueue = field(default_factory=InMemoryQueue)
    events: InMemoryEventLog = field(default_factory=InMemoryEventLog)
    clock: AdvancingClock = field(default_factory=AdvancingClock)
    settings: Settings = field(default_factory=settings)
    faults: Faults = field(default_factory=Faults)
    deliveries: list[dict[str, Any]] = field(default_factory=list)  # webhook deliveries the worker took
    previews: InMemoryPreviews = field(default_factory=InMemoryPreviews)
    leases: InMemoryLeases = field(default_factory=InMemoryLeases)
    schedules: InMemorySchedules = field(default_factory=InMemorySchedules)
    reports: MemoryReports = field(default_factory=MemoryReports)

    def __post_init__(self) -> None:
        self.cleanups.log = self.schedules.log = self.events  # one table: the repositories commit what the log holds
        self.schedules.claims = self.cleanups.claims
        self.events.faults = self.queue.faults = self.previews.faults = self.faults

    @property
    def ports(self) -> Ports:
        return Ports(cleanups=self.cleanups, records=self.records, queue=self.queue,
                     events=CleanupEventsRecorder(self.events, self.queue, self.clock), clock=self.clock,
                     settings=self.settings, leases=self.leases, reports=self.reports)

    @property
    def schedule_ports(self) -> SchedulePorts:
        return SchedulePorts(schedules=self.schedules, cleanups=self.ports, claims=self.cleanups.claims,
                             outbox=CleanupEventsRecorder(self.events, self.queue, self.clock))

    @property
    def preview_ports(self) -> PreviewPorts:
        return PreviewPorts(previews=self.previews, records=self.records, clock=self.clock, settings=self.settings,
                            queue=self.queue, cleanups=self.cleanups)

    def deliver(self, bodies: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Run the worker on each `cleanup_batch` or `restore_batch` body, as the consumer would; the failed ones."""
        failed = []
        for body in bodies:
            if body["kind"] == "webhook_delivery":
                self.deliveries.append(body)
                continue
            try:
                if body["kind"] == PREVIEW_KIND:
                    continue_preview(self.preview_ports, tenant_of(body), body["preview_id"], int(body["page"]))
                elif body["kind"] == "cleanup_selection":
                    continue_selection(self.ports, tenant_of(body), body["cleanup_id"], int(body["page"]))
                elif body["kind"] == "cleanup_report":
                    finish_report(self.ports, tenant_of(body), body["cleanup_id"])
                elif body["kind"] == "restore_batch":
                    restore_batch(self.ports, tenant_of(body), body["cleanup_id"], int(body["sub_batch"]))
                else:
                    process_batch(self.ports, tenant_of(body), body["cleanup_id"], int(body["batch"]))
            except RuntimeError:
                failed.append(body)
        return failed

    def drain(self, order: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] = list, rounds: int = 20) -> int:
        """Deliver what the queue holds, failures coming back on the next round; deliveries that failed."""
        failures = 0
        for _ in range(rounds):
            bodies = self.queue.take()
            if not bodies:
                break
            failed = self.deliver(order(bodies))
            failures += len(failed)
            self.queue.send(failed)
        return failures
