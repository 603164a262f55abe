"""The cleanup preview: what a cleanup created now would select and delete, kept for a day. Pure.

A preview is `completed` with its counts, `pending` while the worker counts it page by page
(`counted_count` records so far, the counts null until then), or `failed` with `errors`.
Why: docs/DESIGN.md#previews-at-every-size
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib.cleanups.domain.model import validate_create as validate_cleanup_create
from chalicelib.exceptions import ErrorDetail, ValidationError
from chalicelib.tenancy import Tenant, iso, parse_iso

TYPE = "cleanup_previews"
KEPT_FOR = timedelta(hours=24)
SAMPLE_SIZE = 10
PENDING, COMPLETED, FAILED = "pending", "completed", "failed"
CREATABLE = ("resource_type", "filters")
# What a client reads, in order: every attribute rendered, and what `fields[cleanup_previews]` may name.
ATTRIBUTES = ("resource_type", "filters", "status", "records_count", "counted_count", "associated_counts",
              "items_count", "sample", "estimated_seconds", "errors", "created_at")
COUNTS = ("records_count", "associated_counts", "items_count", "estimated_seconds")  # null until completed


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
    status: str = COMPLETED
    errors: dict[str, Any] = field(default_factory=dict)
    updated_at: str | None = None
    cursor: str | None = None  # the last record id counted (a pending preview's next page starts above it)
    pages: int = 0  # pages counted: the page the next message carries

    @property
    def counted_count(self) -> int:
        """Records counted so far: `records_count` once completed."""
        return self.records_count

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
        final = self.status == COMPLETED
        return {name: getattr(self, name) if final or name not in COUNTS else None for name in ATTRIBUTES}


def validate_create(attributes: dict[str, Any]) -> None:
    """A cleanup create's checks (same errors), on the only attributes a preview takes."""
    bad = [name for name in attributes if name not in CREATABLE]
    if bad:
        raise ValidationError(details=[
            ErrorDetail("Validation error", f"{name} is not creatable", pointer=f"/data/attributes/{name}")
            for name in bad])
    validate_cleanup_create(attributes)


def pending_preview(tenant: Tenant, preview_id: str, resource_type: str, filters: dict[str, Any],
                    moment: datetime) -> Preview:
    """A preview counted page by page: nothing counted yet."""
    return Preview(tenant=tenant, id=preview_id, resource_type=resource_type, filters=filters, created_at=iso(moment),
                   updated_at=iso(moment), status=PENDING)


def add_page(preview: Preview, ids: list[str], associated: dict[str, int], sample: list[dict[str, Any]],
             more: bool, moment: datetime) -> Preview:
    """The preview once a page of records (`ids`, in id order, above its cursor) is counted; `more` follows."""
    counts = {name: preview.associated_counts.get(name, 0) + associated.get(name, 0)
              for name in {**preview.associated_counts, **associated}}  # the first page's order: the cascade's
    return replace(preview, records_count=preview.records_count + len(ids), associated_counts=counts,
                   sample=(preview.sample + sample)[:SAMPLE_SIZE], cursor=ids[-1] if ids else preview.cursor,
                   pages=preview.pages + 1, status=PENDING if more else COMPLETED, updated_at=iso(moment))


def fail(preview: Preview, message: str, moment: datetime) -> Preview:
    return replace(preview, status=FAILED, errors={"base": [message]}, updated_at=iso(moment))


def over_cap(preview: Preview, limit: int) -> bool:
    """More records counted than a cleanup may select, or exactly as many with more to come."""
    return preview.records_count > limit or (preview.status == PENDING and preview.records_count == limit)



def new_preview(tenant: Tenant, preview_id: str, resource_type: str, filters: dict[str, Any], moment: datetime, *,
                records_count: int, associated_counts: dict[str, int], sample: list[dict[str, Any]]) -> Preview:
    """A preview counted at once (`estimated_seconds` is the service's to set)."""
    return Preview(tenant=tenant, id=preview_id, resource_type=resource_type, filters=filters, created_at=iso(moment),
                   updated_at=iso(moment), records_count=records_count, associated_counts=associated_counts,
                   sample=sample)
