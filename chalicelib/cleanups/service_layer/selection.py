"""Large cleanups: selection past what the create request can hold goes on in the worker, page by page.

A create selects at most SELECT_IN_REQUEST_RECORDS ids; when more match, the cleanup is saved
pending with `selecting` set, and each `cleanup_selection` message selects one page: it leases
the page, writes its ids as snapshot batches, then checkpoints the cleanup with one write
conditional on the page number, the lease and the cleanup still pending, and sends the next
page. A crash, a duplicate or a late message resumes at the last checkpoint, never counting a
record twice.

Callers rely on: `records_count` is final before the cleanup leaves `pending` (its batches are
enqueued only after the last checkpoint); a selection past MAX_CLEANUP_RECORDS, or other than
the create's `expected_records_count`, interrupts the cleanup with the reason in
`errors_log["selection"]`, nothing deleted; an interrupt while selecting stops it.

Why: docs/DESIGN.md#selection-in-the-worker
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from chalicelib.catalog import get_type
from chalicelib.cleanups.domain.model import PENDING, WORKER, Cleanup, batch_messages, complete, interrupt, plan_batches
from chalicelib.cleanups.exceptions import RetryNotAllowedError
from chalicelib.cleanups.ports import Ports
from chalicelib.cleanups.service_layer import retry
from chalicelib.cleanups.service_layer.transitions import commit_transition
from chalicelib.config import Settings
from chalicelib.exceptions import RecordNotFoundError
from chalicelib.filters import Condition, parse_filters
from chalicelib.tenancy import Tenant, iso, new_id

LEASE_SECONDS = 55  # longer than the worker function's 50 s timeout: a lease holder is dead past it
SEND_CHUNK = 500  # batch messages sent per call when selection ends: memory stays flat
FAILED = "selection"  # the errors_log key of a selection that failed


def conditions_of(resource_type: str, filters: dict[str, Any]) -> Sequence[Condition]:
    return parse_filters(get_type(resource_type).filterable(), filters, in_body=True).conditions


def page_size(settings: Settings, batch_size: int) -> int:
    """About SELECT_IN_REQUEST_RECORDS, whole batches: every page but the last fills its batches."""
    return max(1, settings.select_in_request_records // batch_size) * batch_size


def selecting(cleanup: Cleanup, expected: int | None) -> Cleanup:
    """A new cleanup whose selection the worker does: nothing in its snapshot yet."""
    return replace(cleanup, selecting=True, records_count=0, batch_count=0, sub_batch_count=0,
                   expected_records_count=expected)


def selection_message(cleanup: Cleanup, page: int) -> dict[str, Any]:
    tenant = {"organization_id": cleanup.tenant.organization_id, "mode": cleanup.tenant.mode}
    return {"kind": "cleanup_selection", "tenant": tenant, "cleanup_id": cleanup.id, "page": page}


def continue_selection(ports: Ports, tenant: Tenant, cleanup_id: str, page: int) -> None:
    """Select page `page` of the cleanup, once; the last page enqueues every batch."""
    try:
        cleanup = ports.cleanups.get(tenant, cleanup_id)
    except RecordNotFoundError:
        return  # deleted
    if cleanup.status != PENDING or not cleanup.selecting or page != cleanup.selection_pages:
        return  # interrupted, finished, or a duplicate / late message of a page already written
    if FAILED in cleanup.errors_log:
        _stop(ports, cleanup)  # the failure was checkpointed, the interrupt was not
        return
    token, now = new_id(), ports.clock.now().timestamp()
    if not ports.cleanups.lease_selection(cleanup, token, now, now + LEASE_SECONDS):
        return  # another worker holds this page; if it dies, the reconciler sends the page again
    after, batches = _next_page(ports, cleanup)
    if not ports.cleanups.checkpoint_selection(cleanup, after, batches, token):
        return  # interrupted (or deleted) meanwhile
    if FAILED in after.errors_log:
        _stop(ports, after)
    elif after.selecting:
        ports.queue.send([selection_message(after, after.selection_pages)])
    else:
        finish(ports, after)


def _next_page(ports: Ports, cleanup: Cleanup) -> tuple[Cleanup, list[list[str]]]:
    """The cleanup as the next page leaves it, and the page's batches (none when the selection fails)."""
    settings = ports.settings
    moment = iso(ports.clock.now())
    try:
        ids, more, cursor = _page(ports, cleanup, page_size(settings, cleanup.batch_size))
    except RetryNotAllowedError as gone:  # the retried cleanup was deleted meanwhile
        failure: dict[str, Any] | None = {"base": [f"{gone}: nothing was deleted"]}
    else:
        failure = _failure(settings, cleanup, cleanup.records_count + len(ids), more)
    if failure is not None:
        return replace(cleanup, errors_log={**cleanup.errors_log, FAILED: failure}, updated_at=moment), []
    batches = plan_batches(ids, cleanup.batch_size)
    # A retry's page may end in a part-filled batch: count its sub-batches batch by batch.
    sub_batches = sum(-(-len(batch) // cleanup.sub_batch_size) for batch in batches)
    return replace(
        cleanup, records_count=cleanup.records_count + len(ids), batch_count=cleanup.batch_count + len(batches),
        sub_batch_count=cleanup.sub_batch_count + sub_batches, selection_cursor=cursor,
        selection_pages=cleanup.selection_pages + 1, selecting=more, updated_at=moment,
    ), batches


def _page(ports: Ports, cleanup: Cleanup, size: int) -> tuple[list[str], bool, str | None]:
    """The page's ids, whether more follow, and the cursor after it: the filters' matches above the last
    id, or for a retry the original's next batches (`chalicelib.cleanups.service_layer.retry.snapshot_page`)."""
    if cleanup.retry_of is not None:
        return retry.snapshot_page(ports, cleanup.tenant, cleanup.retry_of, cleanup.selection_cursor, size)
    ids, more = ports.records.select_page(cleanup.tenant, cleanup.resource_type,
                                          conditions_of(cleanup.resource_type, cleanup.filters),
                                          cleanup.selection_cursor, size)
    return ids, more, ids[-1] if ids else cleanup.selection_cursor


def _failure(settings: Settings, cleanup: Cleanup, total: int, more: bool) -> dict[str, Any] | None:
    limit = min(settings.max_cleanup_records, cleanup.records_limit or settings.max_cleanup_records)
    if total > limit or (more and total == limit):
        named = "MAX_CLEANUP_RECORDS" if limit == settings.max_cleanup_records else "its schedule's max_records_per_run"
        return {"base": [f"selects more than {limit} records ({named}): nothing was deleted"]}
    expected = cleanup.expected_records_count
    if not more and expected is not None and expected != total:
        return {"base": [f"selects {total} records, not the expected {expected}: nothing was deleted"]}
    return None


def _stop(ports: Ports, cleanup: Cleanup) -> None:
    commit_transition(ports, cleanup, interrupt(cleanup, ports.clock.now()), WORKER)


def finish(ports: Ports, cleanup: Cleanup) -> None:
    """Selection done: enqueue every batch (the reconciler sends them again if this dies half-way)."""
    if cleanup.batch_count == 0:
        commit_transition(ports, cleanup, complete(cleanup, ports.clock.now()), WORKER)
        return
    for first in range(0, cleanup.batch_count, SEND_CHUNK):
        ports.queue.send(batch_messages(cleanup, list(range(first, min(first + SEND_CHUNK, cleanup.batch_count)))))


def give_up(ports: Ports, cleanup: Cleanup) -> None:
    """A selection stalled through every reconciliation: interrupted, nothing deleted."""
    _stop(ports, cleanup)
