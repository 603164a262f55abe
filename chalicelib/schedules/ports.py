"""What the schedule use cases need from the outside, as small protocols, and the object that carries them.

`chalicelib.bootstrap.schedule_ports()` builds the real one; tests/unit/fakes.py implements every port
in memory with the same semantics.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from chalicelib.cleanups import Ports as CleanupPorts
from chalicelib.events import Outgoing
from chalicelib.idempotency import Claim, ClaimStore
from chalicelib.schedules.domain.model import Schedule
from chalicelib.tenancy import Tenant


class ScheduleRepository(Protocol):
    """Schedules, each one item written whole under a condition on its `version`.

    A `False` answer means another writer changed the schedule first (or it is gone): read it again.
    """

    def save_new(self, schedule: Schedule, limit: int, claim: Claim | None = None) -> None:
        """Store a new schedule, in one transaction with the tenant's schedule count: `ScheduleLimitError`
        when `limit` are taken. With a `claim`, only if its idempotency key is free (`IdempotencyKeyTakenError`)."""

    def get(self, tenant: Tenant, schedule_id: str) -> Schedule:
        """The schedule (a consistent read); `RecordNotFoundError` if there is none."""

    def list_for(self, tenant: Tenant) -> list[Schedule]:
        """Every schedule of the tenant (at most `MAX_PER_TENANT`)."""

    def replace(self, before: Schedule, after: Schedule, outbox: Sequence[Outgoing] = ()) -> bool:
        """Write `after` (its `version` one past `before`'s) with the `outbox` events in one transaction, only
        while the stored version is still `before.version`. False: nothing written."""

    def delete(self, schedule: Schedule) -> bool:
        """Remove it and give its place in the tenant's count back; False if it was gone already."""

    def due(self, moment: str) -> Iterator[Schedule]:
        """Schedules of every tenant whose `next_run_at` is at or before `moment` (ISO), oldest first; read by
        key (an index of the enabled schedules only), never by scanning tenants."""


class EventOutbox(Protocol):
    """The events package's dispatch: deliveries of committed events enqueued, the events out of the outbox."""

    def dispatch_outgoing(self, outgoing: Sequence[Outgoing]) -> None:
        """Never raises: what is left in the outbox is sent again by the reconciler."""


@dataclass(frozen=True)
class Ports:
    """Everything a schedule use case touches outside itself: its store, and the cleanup use cases' own
    ports (a run creates its cleanup exactly as `POST /api/cleanups` does)."""

    schedules: ScheduleRepository
    cleanups: CleanupPorts
    claims: ClaimStore
    outbox: EventOutbox
