"""Retrying a finished cleanup (`retry_of`) on in-memory fakes: what it selects, when it is refused."""
from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib import cleanups
from chalicelib.cleanups import Actor, Cleanup
from chalicelib.cleanups.exceptions import RetryNotAllowedError
from chalicelib.tenancy import Tenant, iso
from tests.unit.fakes import START, World

TENANT = Tenant("org-alpha", "test")
OTHER = Tenant("org-beta", "test")
ACTOR = Actor(who={"application": {"id": "app", "client_id": "c", "kind": "integration"}})


def skus(world: World, n: int, prefix: str = "DEL", tenant: Tenant = TENANT) -> list[str]:
    ids = [f"{prefix}{i:03d}" for i in range(n)]
    for record_id in ids:
        world.records.add(tenant, "skus", record_id, START - timedelta(days=1), code=record_id)
    return ids


def create(world: World, tenant: Tenant = TENANT, retry_of: str | None = None, **attributes: object) -> Cleanup:
    return cleanups.create_cleanup(world.ports, tenant, dict(attributes), ACTOR, retry_of=retry_of)


def touch(world: World, record_id: str) -> None:
    """A client modifies the record now."""
    world.records.records[(TENANT.key, "skus", record_id)]["updated_at"] = iso(world.clock.now())


def completed_with_an_error(world: World) -> tuple[list[str], Cleanup]:
    """Ten skus and a completed cleanup of them whose second sku was modified after it was created."""
    doomed = skus(world, 10)
    original = create(world, resource_type="skus")
    touch(world, doomed[1])
    world.drain()
    return doomed, original


def interrupted_after_first_batch(world: World) -> Cleanup:
    """A cleanup of every DEL sku whose first batch (of four) was deleted before a client interrupted it."""
    cleanup = create(world, resource_type="skus", filters={"code_start": "DEL"})
    first, *_rest = world.queue.take()
    world.deliver([first])
    return cleanups.interrupt_cleanup(world.ports, TENANT, cleanup.id, ACTOR)


def test_retry_of_an_interrupted_cleanup_selects_and_deletes_what_the_interrupt_left() -> None:
    # Given nine skus, a cleanup of them interrupted after its first batch of four, and a sku it did not select
    world = World()
    doomed = skus(world, 9)
    skus(world, 1, prefix="KEEP")
    original = interrupted_after_first_batch(world)
    # When it is retried, without resource_type, and the queue is drained
    retry = create(world, retry_of=original.id)
    world.drain()
    # Then the retry selected the five left, by the original's type, and deleted them; the other sku stays
    assert (retry.resource_type, retry.records_count, retry.retry_of, retry.filters) == ("skus", 5, original.id, {})
    assert [world.cleanups.batch_ids(TENANT, retry.id, n) for n in range(retry.batch_count)] == [
        doomed[4:8], doomed[8:9]]
    done = cleanups.get_cleanup(world.ports, TENANT, retry.id)
    assert (done.status, done.processed_count, done.errors_count) == ("completed", 5, 0)
    assert world.records.ids(TENANT, "skus") == {"KEEP000"}


def test_retry_of_a_cleanup_with_errors_deletes_them_from_its_own_created_at() -> None:
    # Given a completed cleanup of ten skus whose second was modified after the cleanup was created (within budget)
    world = World()
    doomed, original = completed_with_an_error(world)
    assert cleanups.get_cleanup(world.ports, TENANT, original.id).errors_log.keys() == {doomed[1]}
    # When it is retried (same resource_type given) and drained
    retry = create(world, retry_of=original.id, resource_type="skus")
    world.drain()
    # Then the retry selected the one error and deleted it: it was modified before the retry was created
    done = cleanups.get_cleanup(world.ports, TENANT, retry.id)
    assert (retry.records_count, done.status, done.processed_count) == (1, "completed", 1)
    assert world.records.ids(TENANT, "skus") == set()


def test_retry_keeps_a_record_modified_after_the_retry_was_created() -> None:
    # Given a completed cleanup of ten skus with one error, and its retry created
    world = World()
    doomed, original = completed_with_an_error(world)
    retry = create(world, retry_of=original.id)
    # When the record is modified again after the retry was created, and the retry runs
    touch(world, doomed[1])
    world.drain()
    # Then the snapshot rule applies from the retry's created_at: the record is its error, not deleted
    done = cleanups.get_cleanup(world.ports, TENANT, retry.id)
    assert (done.status, done.records_count, done.processed_count, done.errors_count) == ("interrupted", 1, 0, 1)
    assert doomed[1] in done.errors_log and world.records.ids(TENANT, "skus") == {doomed[1]}


def test_retry_counts_only_the_records_that_still_exist() -> None:
    # Given an interrupted cleanup of nine skus with five left, two of which were deleted since by a client
    world = World()
    doomed = skus(world, 9)
    original = interrupted_after_first_batch(world)
    for record_id in doomed[5:7]:
        world.records.records.pop((TENANT.key, "skus", record_id))
    # When it is retried
    retry = create(world, retry_of=original.id)
    # Then it selects the three left
    assert retry.records_count == 3
    assert world.cleanups.batch_ids(TENANT, retry.id, 0) == [doomed[4], doomed[7], doomed[8]]


def test_retry_of_a_cleanup_that_left_nothing_is_born_completed() -> None:
    # Given a completed cleanup without errors
    world = World()
    skus(world, 2)
    original = create(world, resource_type="skus")
    world.drain()
    # When it is retried, then the retry has nothing to delete and completes at once
    retry = create(world, retry_of=original.id)
    assert (retry.status, retry.records_count, retry.retry_of) == ("completed", 0, original.id)


@pytest.mark.parametrize("cleanup_id", ["missing0001", "OTHER"])
def test_retry_of_an_unknown_or_other_tenants_cleanup_is_refused_on_retry_of(cleanup_id: str) -> None:
    # Given a finished cleanup of another tenant
    world = World()
    skus(world, 1, tenant=OTHER)
    theirs = create(world, tenant=OTHER, resource_type="skus")
    world.drain()
    # When this tenant retries an id it does not have, then it is a 422 on the relationship, nothing created
    with pytest.raises(RetryNotAllowedError) as raised:
        create(world, retry_of=theirs.id if cleanup_id == "OTHER" else cleanup_id)
    assert raised.value.details[0].pointer == "/data/relationships/retry_of"
    assert cleanups.list_cleanups(world.ports, TENANT) == []


def test_retry_of_an_active_cleanup_is_refused_on_retry_of() -> None:
    # Given a pending cleanup
    world = World()
    skus(world, 2)
    original = create(world, resource_type="skus")
    # When it is retried, then it is refused: it may still delete what it selected
    with pytest.raises(RetryNotAllowedError) as raised:
        create(world, retry_of=original.id)
    assert raised.value.details[0].pointer == "/data/relationships/retry_of"
    assert len(cleanups.list_cleanups(world.ports, TENANT)) == 1


@pytest.mark.parametrize(("attributes", "pointer"), [
    ({"filters": {"code_start": "DEL"}}, "/data/attributes/filters"),
    ({"filters": {}}, "/data/attributes/filters"),
    ({"resource_type": "prices"}, "/data/attributes/resource_type"),
])
def test_retry_saying_what_only_its_original_says_is_refused(attributes: dict[str, object], pointer: str) -> None:
    # Given an interrupted cleanup of skus
    world = World()
    skus(world, 9)
    original = interrupted_after_first_batch(world)
    # When it is retried with filters, or another resource_type, then it is a 422 on that attribute
    with pytest.raises(RetryNotAllowedError) as raised:
        create(world, retry_of=original.id, **attributes)
    assert raised.value.details[0].pointer == pointer
    assert len(cleanups.list_cleanups(world.ports, TENANT)) == 1


def test_retried_cleanup_is_the_original_or_none() -> None:
    # Given an interrupted cleanup, its retry, and a plain cleanup
    world = World()
    skus(world, 9)
    original = interrupted_after_first_batch(world)
    retry = create(world, retry_of=original.id)
    # When each is asked what it retries, then the retry names the original and the original none
    retried = cleanups.retried_cleanup(world.ports, TENANT, retry.id)
    assert retried is not None and retried.id == original.id
    assert cleanups.retried_cleanup(world.ports, TENANT, original.id) is None
