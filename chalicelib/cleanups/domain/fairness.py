"""Fair across tenants: at most TENANT_MAX_WORKERS workers on one tenant's cleanup batches at once.

A tenant has that many lease slots (`TenantLeases`). A worker takes a free one before
processing a `cleanup_batch` message and releases it after; a slot is free when nobody
holds it or its lease has expired. Taking is one write conditional on the slot still
being free, so two racing workers never share a slot: the loser reads the slots again.
A lease expires LEASE_SECONDS after it was taken, longer than a worker may run, so a
crashed worker's slot comes back by itself. Releasing is conditional on still being its
holder: a release repeated, or arriving after the slot expired and was taken again,
frees nothing it does not hold. A redelivered message takes a slot of its own: it does
occupy a worker.

`free_slot` is the arithmetic; `take` and `release` go through the port.

Why: docs/DESIGN.md#fairness-across-tenants
"""
from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.tenancy import Tenant

if TYPE_CHECKING:  # the ports module names `Held` in its protocol
    from chalicelib.cleanups.ports import Ports

LEASE_SECONDS = 60  # the work queue's visibility timeout: longer than the worker's Lambda timeout (50 s)
# Short, so a freed slot soon finds the tenant's next batch; each give-back costs two reads and a send.
GIVE_BACK_SECONDS = 2


@dataclass(frozen=True)
class Held:
    """One taken slot: who holds it and until when (epoch seconds)."""

    holder: str
    expires_at: float


@dataclass(frozen=True)
class Lease:
    """What a worker holds while it processes a batch; `slot` None when the tenant has no limit."""

    tenant: Tenant
    slot: int | None
    holder: str


def free_slot(held: Mapping[int, Held], limit: int, now: float) -> int | None:
    """The lowest of the `limit` slots that nobody holds or whose lease has expired; None when all are taken."""
    for slot in range(limit):
        lease = held.get(slot)
        if lease is None or lease.expires_at <= now:
            return slot
    return None


def take(ports: Ports, tenant: Tenant) -> Lease | None:
    """A lease on one of the tenant's slots; None when every slot is held (the message waits its turn)."""
    limit, holder = ports.settings.tenant_max_workers, uuid.uuid4().hex
    if limit == 0:
        return Lease(tenant, None, holder)
    for _ in range(limit + 1):  # each lost race is a slot another worker took: past `limit` they are all taken
        now = ports.clock.now().timestamp()
        slot = free_slot(ports.leases.held(tenant), limit, now)
        if slot is None:
            return None
        if ports.leases.claim(tenant, slot, Held(holder, now + LEASE_SECONDS), now):
            return Lease(tenant, slot, holder)
    return None


def release(ports: Ports, lease: Lease) -> None:
    if lease.slot is not None:
        ports.leases.release(lease.tenant, lease.slot, lease.holder)
