"""Retry: what a new cleanup deletes when it names a finished one as `retry_of`.

It selects the records its original selected (the original's snapshot) that still exist:
the original's errors and what an interrupt left unprocessed. The existence check reads
the snapshot's ids by key only. The new cleanup's own `created_at` is its cutoff, so a
record modified before the retry (an error of the original) is deleted this time.

An original larger than what a request selects (SELECT_IN_REQUEST_RECORDS, with
MAX_CLEANUP_RECORDS raised past it) is retried like a large cleanup: the create answers
at once and the worker reads the snapshot page by page (`snapshot_page`, called by
`chalicelib.cleanups.service_layer.selection`), its cursor the number of the original's next batch.
"""
from __future__ import annotations

from typing import Any

from chalicelib.cleanups.domain.model import TERMINAL, Cleanup
from chalicelib.cleanups.exceptions import RetryNotAllowedError
from chalicelib.cleanups.ports import Ports
from chalicelib.cleanups.service_layer.report import with_link
from chalicelib.exceptions import RecordNotFoundError
from chalicelib.tenancy import Tenant


def retry_selection(ports: Ports, tenant: Tenant, original_id: str,
                    attributes: dict[str, Any]) -> tuple[str, list[str] | None]:
    """The original's resource type and the ids of its snapshot that still exist, in id order; None for
    the ids when the worker selects them (the original is larger than a request selects)."""
    if "filters" in attributes:
        raise RetryNotAllowedError("A retry deletes what its original selected: it takes no filters",
                                   pointer="/data/attributes/filters")
    original = _original(ports, tenant, original_id)
    if attributes.get("resource_type", original.resource_type) != original.resource_type:
        raise RetryNotAllowedError(f"resource_type must be {original.resource_type}, the retried cleanup's",
                                   pointer="/data/attributes/resource_type")
    if original.records_count > ports.settings.select_in_request_records:  # a large cleanup's: the worker reads it
        return original.resource_type, None
    remaining = ports.records.existing_ids(tenant, original.resource_type, _snapshot(ports, original))
    return original.resource_type, remaining


def snapshot_page(ports: Ports, tenant: Tenant, original_id: str, cursor: str | None,
                  size: int) -> tuple[list[str], bool, str]:
    """The next page of a large retry's selection: the ids that still exist among the original's whole
    batches from number `cursor` (None: the first; about `size` ids), whether batches follow, and the
    cursor past them."""
    original = _original(ports, tenant, original_id)
    number = int(cursor or 0)
    ids: list[str] = []
    while number < original.batch_count and len(ids) < size:
        ids += _batch(ports, original, number)
        number += 1
    remaining = ports.records.existing_ids(tenant, original.resource_type, ids)
    return remaining, number < original.batch_count, str(number)


def _original(ports: Ports, tenant: Tenant, cleanup_id: str) -> Cleanup:
    try:
        original = ports.cleanups.get(tenant, cleanup_id)
    except RecordNotFoundError:
        raise RetryNotAllowedError(f"There is no cleanup {cleanup_id} to retry") from None
    if original.status not in TERMINAL:
        raise RetryNotAllowedError(f"The cleanup to retry is still {original.status}: interrupt it or let it end")
    return original


def _snapshot(ports: Ports, original: Cleanup) -> list[str]:
    return [i for number in range(original.batch_count) for i in _batch(ports, original, number)]


def _batch(ports: Ports, original: Cleanup, number: int) -> list[str]:
    batch = ports.cleanups.batch_ids(original.tenant, original.id, number)
    if not batch:  # a planned batch is never empty: this one went with its cleanup's delete
        raise RetryNotAllowedError(f"There is no cleanup {original.id} to retry")
    return batch


def retried_cleanup(ports: Ports, tenant: Tenant, cleanup_id: str) -> Cleanup | None:
    """The cleanup that cleanup `cleanup_id` retries; None when it retries none or that one is deleted."""
    cleanup = ports.cleanups.get(tenant, cleanup_id)
    if cleanup.retry_of is None:
        return None
    try:
        return with_link(ports, ports.cleanups.get(tenant, cleanup.retry_of))
    except RecordNotFoundError:
        return None
