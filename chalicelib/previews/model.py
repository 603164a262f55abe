"""The cleanup preview: what a cleanup created now would select and delete, kept for a day. Pure."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib.cleanups.domain.model import validate_create as validate_cleanup_create
from chalicelib.exceptions import ErrorDetail, ValidationError
from chalicelib.tenancy import Tenant, iso, parse_iso

TYPE = "cleanup_previews"
KEPT_FOR = timedelta(hours=24)
SAMPLE_SIZE = 10
CREATABLE = ("resource_type", "filters")
# What a client reads, in order: every attribute rendered, and what `fields[cleanup_previews]` may name.
ATTRIBUTES = ("resource_type", "filters", "records_count", "associated_counts", "items_count", "sample",
              "estimated_seconds", "created_at")


@dataclass
class Preview:
    tenant: Tenant
    id: str
    resource_type: str
    filters: dict[str, Any]
    created_at: str
    records_count: int = 0
    associated_counts: dict[str, int] = field(default_factory=dict)
    sample: list[dict[str, Any]] = field(default_factory=list)
    estimated_seconds: int = 0

    @property
    def items_count(self) -> int:
        return self.records_count + sum(self.associated_counts.values())

    @property
    def expires_at(self) -> datetime:
        return parse_iso(self.created_at) + KEPT_FOR

    def expired(self, moment: datetime) -> bool:
        """Gone for clients from here on (DynamoDB's TTL removes the item itself some time later)."""
        return moment >= self.expires_at

    def attributes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in ATTRIBUTES}


def validate_create(attributes: dict[str, Any]) -> None:
    """A cleanup create's checks (same errors), on the only attributes a preview takes."""
    bad = [name for name in attributes if name not in CREATABLE]
    if bad:
        raise ValidationError(details=[
            ErrorDetail("Validation error", f"{name} is not creatable", pointer=f"/data/attributes/{name}")
            for name in bad])
    validate_cleanup_create(attributes)


def estimate_seconds(items_count: int, items_per_second: float) -> int:
    """Whole seconds to delete `items_count` records and associated records at the configured rate."""
    return math.ceil(items_count / items_per_second)


def new_preview(tenant: Tenant, preview_id: str, resource_type: str, filters: dict[str, Any], moment: datetime, *,
                records_count: int, associated_counts: dict[str, int], sample: list[dict[str, Any]],
                items_per_second: float) -> Preview:
    preview = Preview(tenant=tenant, id=preview_id, resource_type=resource_type, filters=filters,
                      created_at=iso(moment), records_count=records_count, associated_counts=associated_counts,
                      sample=sample)
    preview.estimated_seconds = estimate_seconds(preview.items_count, items_per_second)
    return preview
