"""Each tenant's worker slots on DynamoDB (`chalicelib.cleanups.domain.fairness`).

One item per taken slot in the tenant's `leases` partition, so reading the slots is one
Query of at most TENANT_MAX_WORKERS small items. Taking is a put conditional on the slot
being absent or expired; releasing a delete conditional on the holder. An expired item
is also removed by the table's TTL (`expires_at`), long after it stopped counting.
"""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.cleanups.domain.fairness import Held
from chalicelib.dynamo import ServiceItem, in_cleanups_table, written
from chalicelib.tenancy import Tenant


class LeaseItem(ServiceItem):
    holder = UnicodeAttribute()
    expires_at = NumberAttribute()


def _leases() -> type[LeaseItem]:
    return in_cleanups_table(LeaseItem)


def _partition(tenant: Tenant) -> str:
    return f"{tenant.key}#leases"


def _sort_key(slot: int) -> str:
    return f"slot#{slot:04d}"


class DynamoTenantLeases:
    """Implements `chalicelib.cleanups.TenantLeases` in the cleanups table."""

    def held(self, tenant: Tenant) -> dict[int, Held]:
        items = _leases().query(_partition(tenant), consistent_read=True)
        return {int(item.sk.removeprefix("slot#")): Held(item.holder, float(item.expires_at)) for item in items}

    def claim(self, tenant: Tenant, slot: int, lease: Held, now: float) -> bool:
        model = _leases()
        item = model(_partition(tenant), _sort_key(slot), holder=lease.holder, expires_at=lease.expires_at)
        return written(lambda: item.save(condition=model.pk.does_not_exist() | (model.expires_at <= now)))

    def release(self, tenant: Tenant, slot: int, holder: str) -> None:
        model = _leases()
        written(lambda: model(_partition(tenant), _sort_key(slot)).delete(condition=model.holder == holder))
