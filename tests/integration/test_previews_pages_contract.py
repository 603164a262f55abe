"""One contract, two adapters: a pending preview's page lease, checkpoint, reconcile count and failure answer alike
in memory and on DynamoDB (moto).

A page is leased once until its lease expires; a checkpoint lands only at the page it was leased for and under
its lease; a pending preview is listed as stale until it completes or fails.
"""
from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.previews import PreviewRepository
from chalicelib.previews.model import COMPLETED, FAILED, PENDING, Preview
from chalicelib.previews.store import DynamoPreviewRepository
from chalicelib.tenancy import Tenant
from tests.integration.conftest import ADAPTERS, contract_adapter
from tests.unit.fakes import InMemoryPreviews

TENANT = Tenant("org-alpha", "test")
NOW = 1_900_000_000.0  # epoch seconds
CREATED = "2030-01-01T12:00:00.000Z"


@pytest.fixture(params=ADAPTERS)
def repository(request: pytest.FixtureRequest) -> PreviewRepository:
    return contract_adapter(request, InMemoryPreviews, DynamoPreviewRepository)


def pending(preview_id: str = "prv0000001", updated_at: str = CREATED) -> Preview:
    return Preview(tenant=TENANT, id=preview_id, resource_type="skus", filters={}, created_at=CREATED,
                   updated_at=updated_at, status=PENDING, records_count=4, associated_counts={"prices": 4},
                   sample=[{"id": "sku0000001", "code": "A1", "name": "One"}], cursor="sku0000004", pages=1)


def next_page(before: Preview, *, more: bool = True) -> Preview:
    return replace(before, records_count=before.records_count + 4, associated_counts={"prices": 8},
                   cursor="sku0000008", pages=before.pages + 1, status=PENDING if more else COMPLETED,
                   estimated_seconds=0 if more else 3, updated_at="2030-01-01T12:00:05.000Z")


def test_page_lease_is_taken_once_until_it_expires(repository: PreviewRepository) -> None:
    # Given a pending preview at page 1
    saved = pending()
    repository.save_new(saved)
    # When two workers lease page 1, Then only the first gets it
    assert repository.lease_page(saved, "t1", NOW, NOW + 55)
    assert not repository.lease_page(saved, "t2", NOW + 1, NOW + 56)
    # And once the lease has expired (its worker died), another worker gets it
    assert repository.lease_page(saved, "t3", NOW + 60, NOW + 115)


def test_checkpoint_lands_only_under_its_lease_at_its_page_and_then_frees_the_next(
        repository: PreviewRepository) -> None:
    # Given page 1 leased by t1
    saved = pending()
    repository.save_new(saved)
    repository.lease_page(saved, "t1", NOW, NOW + 55)
    after = next_page(saved)
    # When another token checkpoints, Then it is refused and nothing moved
    assert not repository.checkpoint(saved, after, "t2")
    assert repository.get(TENANT, saved.id) == saved
    # When the lease holder checkpoints, Then the preview is saved as counted
    assert repository.checkpoint(saved, after, "t1")
    assert repository.get(TENANT, saved.id) == after
    # And a late checkpoint of the same page is refused, while page 2 is free to lease at once
    assert not repository.checkpoint(saved, next_page(saved), "t1")
    assert not repository.lease_page(saved, "t4", NOW, NOW + 55)
    assert repository.lease_page(after, "t5", NOW, NOW + 55)


def test_pending_previews_are_stale_until_they_complete(repository: PreviewRepository) -> None:
    # Given two pending previews, one not moved since 12:00, one since 12:10
    old, recent = pending("prv0000001"), pending("prv0000002", updated_at="2030-01-01T12:10:00.000Z")
    repository.save_new(old)
    repository.save_new(recent)
    # When stale ones before 12:05 are listed, Then only the old one is
    assert [p.id for p in repository.stale("2030-01-01T12:05:00.000Z")] == [old.id]
    # And once it completed, it is listed no more
    repository.lease_page(old, "t1", NOW, NOW + 55)
    repository.checkpoint(old, replace(next_page(old, more=False), updated_at=CREATED), "t1")
    assert list(repository.stale("2030-01-01T12:05:00.000Z")) == []


def test_reconcile_attempts_count_up_until_a_checkpoint_resets_them(repository: PreviewRepository) -> None:
    # Given a pending preview
    saved = pending()
    repository.save_new(saved)
    # When the reconciler marks it twice, Then the attempts count 1, 2 and it is no longer stale at the old time
    assert [repository.mark_reconciled(saved, "2030-01-01T12:02:00.000Z") for _ in range(2)] == [1, 2]
    assert list(repository.stale("2030-01-01T12:01:00.000Z")) == []
    # And after a checkpoint they start afresh
    repository.lease_page(saved, "t1", NOW, NOW + 55)
    repository.checkpoint(saved, next_page(saved), "t1")
    assert repository.mark_reconciled(saved, "2030-01-01T12:03:00.000Z") == 1


def test_failed_preview_keeps_its_errors_and_is_no_longer_moved(repository: PreviewRepository) -> None:
    # Given a pending preview
    saved = pending()
    repository.save_new(saved)
    failed = replace(saved, status=FAILED, errors={"base": ["could not be counted"]},
                     updated_at="2030-01-01T12:09:00.000Z")
    # When it fails, Then it reads failed with its errors, is not stale, and takes no lease nor reconcile mark
    assert repository.fail(saved, failed)
    assert repository.get(TENANT, saved.id) == failed
    assert list(repository.stale("2031-01-01T00:00:00.000Z")) == []
    assert not repository.lease_page(saved, "t1", NOW, NOW + 55)
    assert repository.mark_reconciled(saved, "2030-01-01T12:10:00.000Z") == 0
    # And failing it again is refused
    assert not repository.fail(saved, failed)
