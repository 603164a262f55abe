"""Previews past a page: counted in the request for its budget, then by the worker, page by page, exactly once."""
from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest

from chalicelib import previews
from chalicelib.cleanups.domain.model import Cleanup
from chalicelib.cleanups.exceptions import TooManyRecordsError
from chalicelib.idempotency import Claim
from chalicelib.previews.estimate import learned_rate
from chalicelib.tenancy import Tenant, iso
from tests.unit.fakes import START, World, settings
from tests.unit.test_previews_service import sku_with_associated

TENANT = Tenant("org-alpha", "test")
STALE = 301  # seconds: past RECONCILE_AFTER_SECONDS and the page lease
SKUS = 30  # in pages of 4: 8 pages
ASSOCIATED = {"prices": SKUS, "stock_items": SKUS, "sku_list_items": 0, "in_stock_subscriptions": 0,
              "tax_categories": 0, "price_volume_tiers": SKUS, "price_frequency_tiers": 0}


def paged_world(**overrides: Any) -> World:
    """Pages of 4 records; the request hands over after its first page (a budget of 0 s)."""
    world = World(settings=settings(**{"preview_page_records": 4, "preview_in_request_seconds": 0.0, **overrides}))
    for n in range(SKUS):
        sku_with_associated(world, f"D{n:03d}", f"DEL{n:03d}")
    return world


def create(world: World, claim: Claim | None = None) -> previews.Preview:
    return previews.create_preview(world.preview_ports, TENANT, {"resource_type": "skus"}, claim)


def final(world: World, preview: previews.Preview) -> previews.Preview:
    return previews.get_preview(world.preview_ports, TENANT, preview.id)


def assert_exact(found: previews.Preview) -> None:
    assert (found.status, found.records_count, found.associated_counts, found.items_count) == (
        "completed", SKUS, ASSOCIATED, 4 * SKUS)
    assert [entry["id"] for entry in found.sample] == [f"D{n:03d}" for n in range(10)]


def test_preview_of_one_page_is_completed_at_once_without_a_message() -> None:
    # Given three skus, fewer than a page
    world = World(settings=settings(preview_page_records=4, preview_in_request_seconds=0.0))
    for n in range(3):
        sku_with_associated(world, f"D{n:03d}", f"DEL{n:03d}")
    # When they are previewed
    found = create(world)
    # Then the preview is completed with its counts, and nothing was sent to the worker
    assert (found.status, found.records_count, found.counted_count, world.queue.messages) == ("completed", 3, 3, [])
    assert found.attributes()["records_count"] == 3


def test_preview_past_the_request_budget_is_pending_then_completed_by_the_worker() -> None:
    # Given 30 skus in pages of 4 and a request budget that ends after one page
    world = paged_world()
    # When they are previewed
    found = create(world)
    # Then the answer is pending with the first page counted, its counts null, and page 1 sent to the worker
    assert (found.status, found.counted_count, found.pages) == ("pending", 4, 1)
    assert {name: found.attributes()[name] for name in ("records_count", "items_count", "estimated_seconds")} == {
        "records_count": None, "items_count": None, "estimated_seconds": None}
    assert [(m["kind"], m["page"]) for m in world.queue.messages] == [("cleanup_preview", 1)]
    # And once the worker has its messages, it reads completed with exact counts
    world.drain()
    assert_exact(final(world, found))
    assert world.queue.messages == []


def test_preview_within_the_request_budget_counts_every_page_in_the_request() -> None:
    # Given 30 skus in pages of 4 and a budget that holds them all
    world = paged_world(preview_in_request_seconds=60.0)
    # When they are previewed, Then it is completed at once, exact, without a message
    found = create(world)
    assert_exact(found)
    assert world.queue.messages == []


def test_preview_budget_stops_before_a_page_as_slow_as_the_slowest_would_pass_it() -> None:
    # Given pages that take 2 s each and a 5 s budget
    world = paged_world(preview_in_request_seconds=5.0)
    world.records.after_preview_page = lambda ids: world.clock.advance(2)
    # When they are previewed
    found = create(world)
    # Then the request counted two pages (a third would end past 5 s) and left the rest to the worker
    assert (found.status, found.pages, found.counted_count) == ("pending", 2, 8)
    world.drain()
    assert_exact(final(world, found))


@pytest.mark.parametrize("seed", range(5))
def test_preview_pages_duplicated_and_reordered_are_counted_once(seed: int) -> None:
    # Given a pending preview
    world = paged_world()
    found = create(world)
    shuffle = random.Random(seed)

    def twice_shuffled(bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        doubled = bodies + [dict(body) for body in bodies]
        shuffle.shuffle(doubled)
        return doubled

    # When every message is delivered twice, in any order, and stale copies of old pages come back late
    world.drain(order=twice_shuffled)
    world.deliver([previews.preview_message(found)] * 3)
    # Then the counts are exact
    assert_exact(final(world, found))


@pytest.mark.parametrize("point", ["checkpoint_preview:before", "checkpoint_preview:after"])
def test_preview_worker_crash_around_its_checkpoint_resumes_without_counting_twice(point: str) -> None:
    # Given a pending preview whose worker dies around the checkpoint of page 2
    world = paged_world()
    found = create(world)
    world.faults.arm(point, skip=1)
    world.drain()
    # When the reconciler sends a stalled page again (the dead worker's lease has expired by then)
    world.clock.advance(STALE)
    previews.reconcile_previews(world.preview_ports)
    world.drain()
    # Then the preview completes with exact counts
    assert world.faults.fired == [point]
    assert_exact(final(world, found))


def test_preview_lost_next_page_message_is_sent_again_by_the_reconciler() -> None:
    # Given a pending preview whose worker died after its checkpoint, before sending the next page
    world = paged_world()
    found = create(world)
    world.faults.arm("send:cleanup_preview")
    world.drain()
    stalled = final(world, found)
    assert stalled.status == "pending"
    # When the reconciler runs once the preview is stale
    world.clock.advance(STALE)
    resent = previews.reconcile_previews(world.preview_ports)
    world.drain()
    # Then it sent the stalled page again and the preview completed exactly
    assert resent == {found.id: stalled.pages}
    assert_exact(final(world, found))


def test_preview_reconciler_leaves_a_preview_in_progress_alone() -> None:
    # Given a pending preview whose next page was just checkpointed
    world = paged_world()
    create(world)
    # When the reconciler runs before it is stale, Then it sends nothing
    assert previews.reconcile_previews(world.preview_ports) == {}
    assert len(world.queue.messages) == 1


def test_preview_that_stalls_through_every_reconciliation_fails_with_errors() -> None:
    # Given a pending preview whose messages are all lost
    world = paged_world()
    found = create(world)
    # When the reconciler tries more than RECONCILE_ATTEMPTS (2) times, the messages lost each time
    for _ in range(3):
        world.queue.take()
        world.clock.advance(STALE)
        previews.reconcile_previews(world.preview_ports)
    # Then the preview has failed, with the reason in errors, and leaves the reconciler's list
    after = final(world, found)
    assert (after.status, after.errors) == ("failed", {"base": [previews.service.GAVE_UP]})
    assert after.attributes()["records_count"] is None
    world.clock.advance(STALE)
    assert previews.reconcile_previews(world.preview_ports) == {}


def test_preview_past_the_cap_fails_in_the_worker_and_is_refused_in_the_request() -> None:
    # Given a cap of 10 records, 30 skus, pages of 4
    world = paged_world(max_cleanup_records=10)
    # When previewed with a budget of one page, Then the worker finds it past the cap and fails it
    found = create(world)
    world.drain()
    after = final(world, found)
    assert after.status == "failed"
    assert after.errors == {"base": ["selects more than 10 records (MAX_CLEANUP_RECORDS)"]}
    # And a request whose budget reaches past the cap refuses it as a cleanup create does
    world.settings = settings(max_cleanup_records=10, preview_page_records=4, preview_in_request_seconds=60.0)
    with pytest.raises(TooManyRecordsError):
        create(world)


def test_preview_pending_is_saved_with_its_idempotency_claim() -> None:
    # Given a pending preview created with an idempotency key
    world = paged_world()
    now = int(START.timestamp())
    claim = Claim(tenant=TENANT, scope="cleanup_previews", key="k-1", fingerprint="f", issued_at=now,
                  expires_at=now + 86400)
    found = create(world, claim)
    # Then the key names it, and it is the same preview when completed
    assert world.previews.claims.find(claim).resource_id == found.id  # type: ignore[union-attr]
    world.drain()
    assert final(world, found).id == found.id


def completed_cleanup(records: int, seconds: float, resource_type: str = "skus", created: int = 0) -> Cleanup:
    """A cleanup of `records` created `created` seconds after START, completed `seconds` later."""
    began = START + timedelta(seconds=created)
    return Cleanup(tenant=TENANT, id=f"C{created:04d}", resource_type=resource_type, filters={}, created_at=iso(began),
                   updated_at=iso(began), status="completed", records_count=records,
                   completed_at=iso(began + timedelta(seconds=seconds)))


def test_estimate_learns_the_records_rate_of_the_latest_large_completed_cleanups_of_the_type() -> None:
    # Given cleanups of skus: six large ones (the oldest much slower), a small one, and one of another type
    done = [completed_cleanup(1000, 100.0, created=0)]
    done += [completed_cleanup(1000, 10.0, created=200 + n) for n in range(5)]
    done += [completed_cleanup(10, 60.0, created=300), completed_cleanup(5000, 1.0, "prices", created=400)]
    # Then the rate is the latest five large skus cleanups' records over their seconds
    assert learned_rate(done, "skus") == pytest.approx(100.0)
    assert learned_rate(done[6:7], "skus") is None


def test_preview_estimate_uses_the_learned_rate_not_the_configured_one() -> None:
    # Given a tenant whose last cleanup of skus deleted 1,000 records in 20 s
    world = paged_world(preview_in_request_seconds=60.0, preview_items_per_second=1.0)
    world.cleanups._put(completed_cleanup(1000, 20.0))
    # When 30 skus are previewed, Then the estimate is 30 records at 50 a second: 1 s (not 120 items at 1 a second)
    assert create(world).estimated_seconds == 1
