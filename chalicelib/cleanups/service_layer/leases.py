"""Take and release one of a tenant's lease slots through the `TenantLeases` port (the fairness gate).

The rules: `chalicelib.cleanups.domain.fairness`; why: docs/DESIGN.md#fairness-across-tenants
"""
from __future__ import annotations

import uuid

from chalicelib.cleanups.domain.fairness import LEASE_SECONDS, Held, Lease, free_slot
from chalicelib.cleanups.ports import Ports
from chalicelib.tenancy import Tenant


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
