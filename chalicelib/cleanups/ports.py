"""What the cleanup use cases need from the outside, as small protocols, and the object that carries them.

`chalicelib.bootstrap` is the only module that says which adapter implements which port;
tests/unit/fakes.py implements every port in memory with the same semantics.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from chalicelib.cleanups.domain.fairness import Held
from chalicelib.cleanups.domain.model import Actor, Cleanup
from chalicelib.cleanups.domain.pacing import Pace
from chalicelib.config import Settings
from chalicelib.filters import Condition
from chalicelib.idempotency import Claim
from chalicelib.tenancy import Tenant


class Report(Protocol):
    """What a write reports (`chalicelib.events.Recorded`, built by the `CleanupEvents` port): the use cases
    pass it from that port to the repository, which commits it with the write; they never look inside."""

    @property
    def events(self) -> Sequence[object]: ...

    @property
    def versions(self) -> Sequence[object]: ...


Recorded = TypeVar("Recorded", bound=Report)
Committed = TypeVar("Committed", bound=Report, contravariant=True)  # the repository only takes a report


CREATED_AT = "created_at"  # `Listing.by`: newest or oldest first
Sample = tuple[str, list[float]]  # a count's rate sample: slot, [epoch seconds, records] (`progress.sample`)


@dataclass(frozen=True)
class Listing:
    """A page of cleanups the store answers by key: all or one status or one reference, in id order or
    `by` `created_at` (equal ones in id order, whichever way `created_at` goes)."""

    offset: int
    limit: int
    descending: bool = False
    status: str | None = None
    reference: str | None = None
    by: str = "id"  # or CREATED_AT

    def __post_init__(self) -> None:
        if self.by not in ("id", CREATED_AT):
            raise ValueError(f"no key lists cleanups by {self.by}")


class CleanupRepository(Protocol[Committed]):
    """Cleanups, their snapshots and each tenant's active-cleanup slots.

    Every state change is one conditional write: a `False`/`None` answer means another
    writer got there first (or the cleanup is gone), never an error. A write that takes
    a `Recorded` commits its events and versions in the same transaction (all or
    nothing), and a write that moves a cleanup into or out of the active states moves the
    tenant's slot count with it: the count always equals the active cleanups.
    """

    def save_new(self, cleanup: Cleanup, batches: Sequence[Sequence[str]], recorded: Committed, limit: int,
                 claim: Claim | None = None) -> None:
        """The snapshot's batches first; then, in one transaction, the cleanup (refused if its id exists),
        `recorded`, and, if the cleanup is active, one slot: `CleanupLimitError` when `limit` are taken.
        With a `claim`, the idempotency key naming the cleanup too: `IdempotencyKeyTakenError` (checked
        first) when a live claim already holds that key."""

    def get(self, tenant: Tenant, cleanup_id: str) -> Cleanup:
        """The cleanup (a consistent read); `RecordNotFoundError` if there is none."""

    def list_for(self, tenant: Tenant) -> list[Cleanup]:
        """The tenant's cleanups in id order (every one of them: the lists that no key answers)."""

    def page(self, tenant: Tenant, listing: Listing) -> tuple[list[Cleanup], int]:
        """One page of the tenant's cleanups as `listing` asks, and how many match in all, reading about
        `listing.offset + listing.limit` cleanups whatever the tenant's history."""

    def runs_page(self, tenant: Tenant, schedule_id: str, offset: int, limit: int | None,
                  descending: bool) -> tuple[list[Cleanup], int]:
        """The tenant's cleanups that name `schedule_id` (its runs'), `offset` to `offset + limit` (None: to the
        end) by `created_at` (newest first if `descending`, equal ones in id order), and how many in all;
        read consistently, about the page whatever else the tenant keeps. A deleted cleanup is in neither."""

    def run_ids(self, tenant: Tenant, schedule_id: str, offset: int, limit: int | None) -> tuple[list[str], int]:
        """The ids of the cleanups that name `schedule_id`, newest first (ties in id order), `offset` to
        `offset + limit` (None: to the end), and how many in all; reading about those, not the cleanups."""

    def get_with_batch(self, tenant: Tenant, cleanup_id: str, number: int) -> tuple[Cleanup, list[str]]:
        """The cleanup and the ids of its snapshot batch `number` ([] if none), in one consistent read;
        `RecordNotFoundError` if the cleanup is gone."""

    def batch_ids(self, tenant: Tenant, cleanup_id: str, number: int) -> list[str]:
        """The ids of snapshot batch `number`; [] once the cleanup is deleted."""

    def transition(self, before: Cleanup, after: Cleanup, recorded: Committed) -> bool:
        """In one transaction: `after`'s status and timestamps if the stored status is still `before.status`
        (and, when `before` had no interrupt asked for, none is asked for now: a transition worked out before a
        request must be worked out again), `recorded`, and the slot given back when it leaves the active
        states. False: nothing written."""

    def update_details(self, cleanup: Cleanup, changes: dict[str, Any], recorded: Committed) -> Cleanup:
        """Set (None: remove) plain attributes and `cleanup.updated_at` with `recorded`; the stored cleanup after.

        `RecordNotFoundError` if gone; `ThrottleFinishedError` when `changes` has `max_records_per_second`
        and the cleanup is no longer active.
        """

    def start_sub_batch(self, tenant: Tenant, cleanup_id: str, number: int, pace: Pace | None = None) -> bool:
        """Mark sub-batch `number` begun, only while the cleanup is active (the interrupt check).

        With `pace`, also only while `max_records_per_second` and `paced_until` are still `pace.rate`
        and `pace.was`, and `paced_until` becomes `pace.until` (the throttle's slot, see `pacing`).
        """

    def count_sub_batch(self, tenant: Tenant, cleanup_id: str, number: int, processed: int, errors: int,
                        errors_log: dict[str, Any], updated_at: str, sample: Sample | None = None,
                        then_start: Start | None = None) -> Cleanup | None:
        """Add a sub-batch's outcome once (to the counts, `counted_records` and the errors log), leave the rate
        `sample` and reset `reconcile_count`; the cleanup after (one atomic write), None if counted before or gone.
        With `then_start`, also what `start_sub_batch(then_start.number, then_start.pace)` does, only on its
        conditions too (None otherwise): the next sub-batch begins in the same write.
        """

    def request_interrupt(self, cleanup: Cleanup, request: dict[str, Any]) -> Cleanup | None:
        """Keep `request` (`model.interrupt_request`) on the cleanup, only while it is active and none is kept:
        no sub-batch begins from then on. The cleanup after; None if refused (finished, asked already, gone)."""

    def mark_report_written(self, tenant: Tenant, cleanup_id: str, written_at: str) -> None:
        """Note the cleanup's report file written at `written_at` (ISO), which takes it off `unreported`;
        nothing if the cleanup is gone."""

    def unreported(self, before: str) -> Iterator[Cleanup]:
        """Finished cleanups of every tenant (created finished, or since their terminal transition) whose report
        is not noted written and that were last updated before `before` (ISO), a running restore aside."""

    def drop_report_request(self, cleanup: Cleanup) -> None:
        """Take the cleanup off `unreported` without a report (the reconciler gave up asking for it)."""

    def report(self, recorded: Committed) -> None:
        """Commit `recorded` on its own (events no state change carries: progress)."""

    # --- a large cleanup's selection (see chalicelib.cleanups.service_layer.selection) ---

    def lease_selection(self, cleanup: Cleanup, token: str, now: float, until: float) -> bool:
        """Hold the cleanup's next page for `token` until `until` (epoch seconds), only while it is pending,
        selecting, still at `cleanup.selection_pages` and no other token holds an unexpired lease."""

    def checkpoint_selection(self, before: Cleanup, after: Cleanup, batches: Sequence[Sequence[str]],
                             token: str) -> bool:
        """The page's `batches` (numbered from `before.batch_count`), then `after`'s counts, cursor, page number,
        `selecting` and errors_log entries, and the lease released, only while pending at `before`'s page
        under `token`'s lease; resets `reconcile_count`. False: nothing but unreachable batches written."""

    def mark_reconciled(self, cleanup: Cleanup, updated_at: str) -> None:
        """One more reconciliation without progress."""

    def reconcile_count(self, cleanup: Cleanup) -> int:
        """Reconciliations since the last count."""

    def stale(self, before: str) -> Iterator[Cleanup]:
        """Active cleanups of every tenant last updated before `before` (ISO), oldest first."""

    def delete(self, cleanup: Cleanup, recorded: Committed) -> bool:
        """A completed or interrupted cleanup: its snapshot, then the cleanup with `recorded` in one
        transaction. False when it was not there (deleted meanwhile) or not finished."""

    def slots_taken(self, tenant: Tenant) -> int:
        """The tenant's slot count (what the limit is checked against)."""

    # --- restores (see chalicelib.cleanups.restore.model) ---

    def restore_transition(self, before: Cleanup, after: Cleanup, recorded: Committed) -> bool:
        """In one transaction with `recorded`: `after`'s restore status if the stored restore status is
        still `before.restore_status` and the cleanup is terminal. To pending it resets `reconcile_count`,
        and the counts on a first restore only (`before.restore_status` None): a resume keeps them."""

    def start_restore_sub_batch(self, tenant: Tenant, cleanup_id: str, number: int) -> bool:
        """Mark archived sub-batch `number` begun, only while the restore is pending or in progress."""

    def count_restore_sub_batch(self, tenant: Tenant, cleanup_id: str, number: int, restored: int, errors: int,
                                errors_log: dict[str, Any], updated_at: str) -> Cleanup | None:
        """Add a sub-batch's restore outcome once and reset `reconcile_count`; None if counted before or gone."""

    def stale_restores(self, before: str) -> Iterator[Cleanup]:
        """Cleanups of every tenant whose restore is active and that were last updated before `before`."""


@dataclass
class Deletion:
    """What deleting one sub-batch did: ids deleted (or already gone), errors by id, and by deleted id how
    many records of each associated type went with it (for the report)."""

    deleted: list[str] = field(default_factory=list)
    errors: dict[str, Any] = field(default_factory=dict)
    associated: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass
class Restoration:
    """What restoring one archived sub-batch did: root ids put back, and errors by id.

    `archived` is False when the sub-batch has no archive to restore from (nothing is known of it).
    """

    restored: list[str] = field(default_factory=list)
    errors: dict[str, Any] = field(default_factory=dict)
    archived: bool = True


class RecordStore(Protocol):
    """The hosted records a cleanup selects and deletes."""

    def select_ids(self, tenant: Tenant, resource_type: str, conditions: Sequence[Condition],
                   limit: int) -> list[str]:
        """Ids matching `conditions` in id order; at most `limit + 1`, so an excess is seen."""

    def select_page(self, tenant: Tenant, resource_type: str, conditions: Sequence[Condition], after: str | None,
                    size: int) -> tuple[list[str], bool]:
        """Up to `size` matching ids above `after` (None: from the first) in id order, and whether more follow."""

    def existing_ids(self, tenant: Tenant, resource_type: str, ids: Sequence[str]) -> list[str]:
        """Those of `ids` that exist, in id order; read by key (never a scan)."""

    def delete_sub_batch(self, tenant: Tenant, resource_type: str, ids: Sequence[str], *,
                         not_modified_after: str, cleanup_id: str, number: int) -> Deletion:
        """Delete `ids` with their associated records, except those modified after the cutoff.

        What it deletes is archived first, as sub-batch `number` of cleanup `cleanup_id` (its
        restore reads it back). Idempotent: an id already gone counts as deleted, so a re-run
        after a crash finishes the job.
        """

    def deleted_with(self, tenant: Tenant, cleanup_id: str, number: int) -> dict[str, dict[str, int]]:
        """By root id, how many records of each associated type sub-batch `number` deleted with it, as its
        archive says ({} without one): read only, for a report part lost with its worker."""

    def restore_sub_batch(self, tenant: Tenant, cleanup_id: str, number: int) -> Restoration:
        """Put back what sub-batch `number` of cleanup `cleanup_id` deleted, as it was deleted.

        A root whose id exists again or whose unique value is taken is an error, left as it is.
        Idempotent: a record already put back, unchanged, counts as restored.
        """


@dataclass(frozen=True)
class Start:
    """A sub-batch to mark begun, in its throttle slot (see `CleanupRepository.start_sub_batch`)."""

    number: int
    pace: Pace


class ReportStore(Protocol):
    """Where reports are kept (`chalicelib.cleanups.domain.report`): a cleanup's parts, then its file."""

    def put_part(self, tenant: Tenant, cleanup_id: str, first: int, body: bytes) -> None:
        """Keep a part whose first sub-batch is `first` (a part of the same first replaces it)."""

    def parts(self, tenant: Tenant, cleanup_id: str) -> list[bytes]:
        """Every part kept for the cleanup, in the order of their first sub-batch."""

    def put_report(self, tenant: Tenant, cleanup_id: str, body: bytes) -> None:
        """Keep the cleanup's report file (replacing one written before)."""

    def link(self, tenant: Tenant, cleanup_id: str, seconds: int) -> str:
        """A URL that downloads the report file for `seconds` without credentials."""

    def delete(self, tenant: Tenant, cleanup_id: str) -> None:
        """Remove the cleanup's parts and file (nothing if it has none)."""


class WorkQueue(Protocol):
    """The queue the worker consumes: cleanup batches and webhook deliveries, as JSON objects."""

    def send(self, messages: Sequence[dict[str, Any]], delay_seconds: int = 0) -> None:
        """Enqueue every message, or raise."""


class CleanupEvents(Protocol[Recorded]):
    """The events package: what a write reports (committed with it), and dispatch after the commit."""

    def recorded_create(self, cleanup: Cleanup, actor: Actor) -> Recorded:
        """The events of creating `cleanup`."""

    def recorded_change(self, before: Cleanup, after: Cleanup, actor: Actor) -> Recorded:
        """The version and event (if its status changed) of `before` becoming `after`."""

    def recorded_destroy(self, cleanup: Cleanup, actor: Actor) -> Recorded:
        """The version and event of deleting `cleanup`."""

    def recorded_progress(self, cleanup: Cleanup, number: int) -> Recorded:
        """The `cleanups.progress` event of the count of sub-batch `number` (its id fixed by the number)."""

    def dispatch(self, recorded: Recorded) -> None:
        """Enqueue the webhook deliveries of committed events and take them out of the outbox; never raises."""

    def redispatch(self, moment: datetime) -> list[str]:
        """Dispatch the events a dispatcher left in the outbox (committed a while before `moment`); their ids."""


class TenantLeases(Protocol):
    """Each tenant's worker slots (see `chalicelib.cleanups.domain.fairness`)."""

    def held(self, tenant: Tenant) -> dict[int, Held]:
        """The tenant's taken slots, expired ones included (a consistent read)."""

    def claim(self, tenant: Tenant, slot: int, lease: Held, now: float) -> bool:
        """Hold `slot` as `lease`, only if nobody holds it or its lease expired by `now`; False: taken."""

    def release(self, tenant: Tenant, slot: int, holder: str) -> None:
        """Free `slot` if `holder` still holds it; otherwise leave it as it is."""


class Clock(Protocol):
    def now(self) -> datetime: ...

    def sleep(self, seconds: float) -> None:
        """Wait (the throttle's short waits for a slot)."""


@dataclass(frozen=True)
class Ports(Generic[Recorded]):
    """Everything a cleanup use case touches outside itself; built per request or message. `Recorded`
    is what the events port reports and the repository commits (`chalicelib.events.Recorded`)."""

    cleanups: CleanupRepository[Recorded]
    records: RecordStore
    queue: WorkQueue
    events: CleanupEvents[Recorded]
    clock: Clock
    settings: Settings
    leases: TenantLeases
    reports: ReportStore
