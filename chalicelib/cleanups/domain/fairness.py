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

`free_slot` is the arithmetic; `service_layer.leases` takes and releases through the port.
Why: docs/DESIGN.md#fairness-across-tenants
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib.tenancy import Tenant

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
