"""Preview use cases: create (the dry run of a cleanup create) and get. Each takes the `Ports` first.

A create reads what the cleanup's create would select, counts what its cascade would delete,
and writes nothing but the preview itself.
"""
from __future__ import annotations

from typing import Any

from chalicelib.cleanups.exceptions import TooManyRecordsError
from chalicelib.cleanups.service_layer.selection import conditions_of
from chalicelib.exceptions import RecordNotFoundError
from chalicelib.idempotency import Claim
from chalicelib.previews.model import SAMPLE_SIZE, Preview, new_preview, validate_create
from chalicelib.previews.ports import Ports
from chalicelib.tenancy import Tenant, new_id


def create_preview(ports: Ports, tenant: Tenant, attributes: dict[str, Any], claim: Claim | None = None) -> Preview:
    """Select and count now, save the preview; with a `claim`, only if its idempotency key is free."""
    validate_create(attributes)
    resource_type, filters = attributes["resource_type"], attributes.get("filters") or {}
    limit = ports.settings.max_cleanup_records
    selection = ports.records.preview(tenant, resource_type, conditions_of(resource_type, filters),
                                      limit=limit, sample_size=SAMPLE_SIZE)
    if len(selection.ids) > limit:
        raise TooManyRecordsError(limit)
    preview = new_preview(tenant, new_id(), resource_type, filters, ports.clock.now(),
                          records_count=len(selection.ids), associated_counts=selection.associated,
                          sample=selection.sample, items_per_second=ports.settings.preview_items_per_second)
    ports.previews.save_new(preview, claim)
    return preview


def get_preview(ports: Ports, tenant: Tenant, preview_id: str) -> Preview:
    preview = ports.previews.get(tenant, preview_id)
    if preview.expired(ports.clock.now()):
        raise RecordNotFoundError(f"No cleanup preview {preview_id}")
    return preview
