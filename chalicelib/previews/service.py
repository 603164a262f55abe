"""Preview use cases: create (the dry run of a cleanup create), get, and the worker's pages. Each takes the `Ports`.

A create reads what the cleanup's create would select, counts what its cascade would delete,
and writes nothing but the preview itself. A selection larger than a page is counted page by
page in id order: in the request for PREVIEW_IN_REQUEST_SECONDS, then by the worker, one
`cleanup_preview` message a page, each page leased and checkpointed with one conditional write,
so a duplicated, late or crashed delivery counts its page once. Callers rely on: a `pending`
preview becomes `completed` with exact counts, or `failed` with `errors` (past the cap, or a
page that failed through every reconciliation); the create's 422s are a cleanup create's.
Why: docs/DESIGN.md#previews-at-every-size
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

from chalicelib.cleanups.exceptions import TooManyRecordsError
from chalicelib.cleanups.ports import Listing
from chalicelib.cleanups.service_layer.selection import LEASE_SECONDS, conditions_of
from chalicelib.exceptions import RecordNotFoundError
from chalicelib.filters import Condition
from chalicelib.idempotency import Claim
from chalicelib.previews.estimate import estimate_seconds, learned_rate
from chalicelib.previews.model import (
    COMPLETED,
    FAILED,
    PENDING,
    SAMPLE_SIZE,
    Preview,
    add_page,
    fail,
    new_preview,
    over_cap,
    pending_preview,
    validate_create,
)
from chalicelib.previews.ports import Ports
from chalicelib.tenancy import Tenant, iso, new_id

KIND = "cleanup_preview"  # the work queue's message kind of a preview's next page
RATES_READ = 50  # completed cleanups read to learn the rate from (docs/DESIGN.md#previews-at-every-size)
GAVE_UP = "could not be counted: its page failed on every delivery"


def create_preview(ports: Ports, tenant: Tenant, attributes: dict[str, Any], claim: Claim | None = None) -> Preview:
    """Select and count now, or as much as the request's budget allows and the rest in the worker; save the
    preview; with a `claim`, only if its idempotency key is free."""
    validate_create(attributes)
    resource_type, filters = attributes["resource_type"], attributes.get("filters") or {}
    conditions, limit = conditions_of(resource_type, filters), ports.settings.max_cleanup_records
    size = min(limit, ports.settings.preview_page_records)
    selection = ports.records.preview(tenant, resource_type, conditions, limit=size, sample_size=SAMPLE_SIZE)
    if len(selection.ids) <= size:  # the whole selection, read as the cleanup's create reads it
        preview = new_preview(tenant, new_id(), resource_type, filters, ports.clock.now(),
                              records_count=len(selection.ids), associated_counts=selection.associated,
                              sample=selection.sample)
        preview = _estimated(ports, preview)
    elif size == limit:
        raise TooManyRecordsError(limit)
    else:
        preview = _count_in_request(ports, pending_preview(tenant, new_id(), resource_type, filters,
                                                           ports.clock.now()), conditions)
    ports.previews.save_new(preview, claim)
    if preview.status == PENDING:
        ports.queue.send([preview_message(preview)])
    return preview


def get_preview(ports: Ports, tenant: Tenant, preview_id: str) -> Preview:
    preview = ports.previews.get(tenant, preview_id)
    if preview.expired(ports.clock.now()):
        raise RecordNotFoundError(f"No cleanup preview {preview_id}")
    return preview


def continue_preview(ports: Ports, tenant: Tenant, preview_id: str, page: int) -> None:
    """Count page `page` of a pending preview, once; the next page's message follows, or the preview completes."""
    try:
        preview = ports.previews.get(tenant, preview_id)
    except RecordNotFoundError:
        return  # expired
    if preview.status != PENDING or page != preview.pages:
        return  # finished, or a duplicate / late message of a page already counted
    token, now = new_id(), ports.clock.now().timestamp()
    if not ports.previews.lease_page(preview, token, now, now + LEASE_SECONDS):
        return  # another worker holds this page; if it dies, the reconciler sends the page again
    after = _next_page(ports, preview, conditions_of(preview.resource_type, preview.filters))
    if ports.previews.checkpoint(preview, after, token) and after.status == PENDING:
        ports.queue.send([preview_message(after)])


def reconcile_previews(ports: Ports) -> dict[str, int]:
    """Pending previews without progress for RECONCILE_AFTER_SECONDS: their page sent again (preview id -> page),
    or failed after RECONCILE_ATTEMPTS attempts."""
    now = ports.clock.now()
    resent: dict[str, int] = {}
    for preview in ports.previews.stale(iso(now - timedelta(seconds=ports.settings.reconcile_after_seconds))):
        attempts = ports.previews.mark_reconciled(preview, iso(now))
        if attempts > ports.settings.reconcile_attempts:
            ports.previews.fail(preview, fail(preview, GAVE_UP, now))
        elif attempts:
            ports.queue.send([preview_message(preview)])
            resent[preview.id] = preview.pages
    return resent


def preview_message(preview: Preview) -> dict[str, Any]:
    tenant = {"organization_id": preview.tenant.organization_id, "mode": preview.tenant.mode}
    return {"kind": KIND, "tenant": tenant, "preview_id": preview.id, "page": preview.pages}


def _count_in_request(ports: Ports, preview: Preview, conditions: Sequence[Condition]) -> Preview:
    """Pages while the next one, as slow as the slowest so far, still ends within the request's budget."""
    started, slowest = ports.clock.now(), 0.0
    budget = ports.settings.preview_in_request_seconds
    while True:
        began = ports.clock.now()
        preview = _next_page(ports, preview, conditions)
        if preview.status == FAILED:
            raise TooManyRecordsError(ports.settings.max_cleanup_records)
        if preview.status == COMPLETED:
            return preview
        ended = ports.clock.now()
        slowest = max(slowest, (ended - began).total_seconds())
        if (ended - started).total_seconds() + slowest > budget:
            return preview


def _next_page(ports: Ports, preview: Preview, conditions: Sequence[Condition]) -> Preview:
    """The preview with its next page counted: completed after the last, failed past the cap."""
    limit = ports.settings.max_cleanup_records
    page = ports.records.preview_page(preview.tenant, preview.resource_type, conditions, after=preview.cursor,
                                      size=ports.settings.preview_page_records,
                                      sample_size=SAMPLE_SIZE - len(preview.sample))
    after = add_page(preview, page.ids, page.associated, page.sample, page.more, ports.clock.now())
    if over_cap(after, limit):
        return fail(preview, f"selects more than {limit} records (MAX_CLEANUP_RECORDS)", ports.clock.now())
    return _estimated(ports, after) if after.status == COMPLETED else after


def _estimated(ports: Ports, preview: Preview) -> Preview:
    completed, _ = ports.cleanups.page(preview.tenant, Listing(offset=0, limit=RATES_READ, status=COMPLETED))
    rate = learned_rate(completed, preview.resource_type)
    return replace(preview, estimated_seconds=estimate_seconds(
        preview.records_count, preview.items_count, rate, ports.settings.preview_items_per_second))
