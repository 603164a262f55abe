"""Pages read by key: both adapters answer `page` as the whole list, filtered, ordered and sliced, would.

The DynamoDB adapter reads about the page (an LSI per keyed filter) and counts from the
tenant's count buckets, kept by the same transactions as the cleanups; expired cleanups
(DynamoDB TTL removes them some time after `expires_at`) are neither listed nor counted.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.cleanups import WORKER, CleanupRepository, Listing
from chalicelib.cleanups.domain.model import Cleanup, complete, interrupt, start
from chalicelib.events.model import recorded_change, recorded_create, recorded_destroy
from chalicelib.tenancy import Tenant, iso

TENANT = Tenant("org-alpha", "test")
OTHER = Tenant("org-beta", "test")
NOW = datetime.now(UTC)


def new(number: int, tenant: Tenant = TENANT, **changes: object) -> Cleanup:
    moment = iso(NOW - timedelta(minutes=10))
    cleanup = Cleanup(tenant=tenant, id=f"cln{number:07d}", resource_type="skus", filters={}, created_at=moment,
                      updated_at=moment, records_count=1, batch_count=1, sub_batch_count=1)
    return replace(cleanup, **changes)


def save(repository: CleanupRepository, cleanup: Cleanup) -> None:
    repository.save_new(cleanup, [["a"]], recorded_create(cleanup, cleanup.created_at), 100)


def move(repository: CleanupRepository, before: Cleanup, after: Cleanup) -> Cleanup:
    assert repository.transition(before, after, recorded_change(before, after, WORKER, after.updated_at))
    return after


def seeded(repository: CleanupRepository) -> list[Cleanup]:
    """Twelve cleanups: pending, in progress, completed and interrupted; references r0..r2; one other tenant's."""
    kept = []
    for number in range(12):
        cleanup = new(number, reference=f"r{number % 3}" if number % 4 else None)
        save(repository, cleanup)
        if number % 4 >= 1:
            cleanup = move(repository, cleanup, start(cleanup, NOW))
        if number % 4 == 2:
            cleanup = move(repository, cleanup, complete(cleanup, NOW))
        if number % 4 == 3:
            cleanup = move(repository, cleanup, interrupt(cleanup, NOW))
        kept.append(repository.get(TENANT, cleanup.id))
    save(repository, new(99, OTHER, reference="r1"))
    return kept


@pytest.mark.parametrize("listing", [
    Listing(offset=0, limit=5), Listing(offset=5, limit=5), Listing(offset=10, limit=5),
    Listing(offset=0, limit=4, descending=True), Listing(offset=0, limit=25, status="completed"),
    Listing(offset=1, limit=2, status="in_progress", descending=True), Listing(offset=0, limit=25, status="nope"),
    Listing(offset=0, limit=2, reference="r1"), Listing(offset=0, limit=25, reference="r"),
], ids=repr)
def test_page_is_the_filtered_ordered_slice_of_the_whole_list_and_counts_every_match(
        repository: CleanupRepository, listing: Listing) -> None:
    # Given a tenant's cleanups in every status, some with a reference, and another tenant's
    everything = seeded(repository)
    # When one page is read by key
    page, total = repository.page(TENANT, listing)
    # Then it is the whole list filtered, ordered by id and sliced; the total counts every match
    kept = [c for c in everything if listing.status in (None, c.status)
            and listing.reference in (None, c.reference)]
    ordered = sorted(kept, key=lambda c: c.id, reverse=listing.descending)
    assert page == ordered[listing.offset:listing.offset + listing.limit]
    assert total == len(kept)


def test_page_counts_follow_transitions_reference_changes_and_deletes(repository: CleanupRepository) -> None:
    # Given seeded cleanups
    everything = seeded(repository)
    done = next(c for c in everything if c.status == "completed")
    # When one's reference changes and another finished one is deleted
    after = replace(done, reference="fresh", updated_at=iso(NOW))
    repository.update_details(after, {"reference": "fresh"}, recorded_change(done, after, WORKER, after.updated_at))
    gone = next(c for c in everything if c.status == "interrupted")
    assert repository.delete(gone, recorded_destroy(gone, WORKER, iso(NOW)))
    # Then the keyed pages and their counts say so
    assert repository.page(TENANT, Listing(offset=0, limit=25, reference="fresh")) == ([after], 1)
    assert done not in repository.page(TENANT, Listing(offset=0, limit=25, reference=done.reference))[0]
    assert repository.page(TENANT, Listing(offset=0, limit=25))[1] == len(everything) - 1
    assert repository.page(TENANT, Listing(offset=0, limit=25, status="interrupted"))[1] == 2
