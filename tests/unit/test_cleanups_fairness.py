"""Fair across tenants on in-memory fakes: slot arithmetic, the worker's gate, crashes, duplicates and races."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta

from chalicelib import cleanups
from chalicelib.cleanups.domain import fairness
from chalicelib.cleanups.domain.fairness import LEASE_SECONDS, Held
from chalicelib.cleanups.service_layer import leases
from chalicelib.tenancy import Tenant
from tests.unit.fakes import START, InMemoryLeases, World, settings
from tests.unit.test_cleanups_services import ACTOR, TENANT, create, skus

OTHER = Tenant("org-beta", "test")


def gated_world(limit: int) -> World:
    return World(settings=settings(tenant_max_workers=limit, max_active_cleanups=5))


def now(world: World) -> float:
    return world.clock.moment.timestamp()


def test_free_slot_is_the_lowest_one_nobody_holds_or_whose_lease_expired() -> None:
    held = {0: Held("a", 200.0), 1: Held("b", 100.0), 3: Held("c", 200.0)}
    assert fairness.free_slot(held, 4, 150.0) == 1  # slot 1 expired at 100
    assert fairness.free_slot({0: Held("a", 200.0), 1: Held("b", 200.0)}, 3, 150.0) == 2
    assert fairness.free_slot({0: Held("a", 200.0), 1: Held("b", 200.0)}, 2, 150.0) is None


def test_worker_with_its_tenant_at_the_limit_gives_the_batch_back_delayed_and_deletes_nothing() -> None:
    # Given a limit of 1 and another worker holding the tenant's only slot
    world = gated_world(1)
    skus(world, 3)
    cleanup = create(world, filters={"code_start": "DEL"})
    message = world.queue.take()[0]
    holding = leases.take(world.ports, TENANT)
    # When the batch is delivered
    world.deliver([message])
    # Then nothing is deleted, the cleanup is still pending, the same message is back with the short delay
    assert world.records.calls == []
    assert world.cleanups.get(TENANT, cleanup.id).status == "pending"
    assert (world.queue.messages, world.queue.delays[-1:]) == ([message], [fairness.GIVE_BACK_SECONDS])
    # And the slot is still the other worker's alone
    assert holding is not None and world.leases.held(TENANT) == {0: world.leases.slots[(TENANT, 0)]}
    assert world.leases.slots[(TENANT, 0)].holder == holding.holder


def test_another_tenant_is_served_while_the_first_holds_every_slot() -> None:
    # Given the first tenant holding its only slot
    world = gated_world(1)
    assert leases.take(world.ports, TENANT) is not None
    # When another tenant's cleanup is delivered
    for record_id in ("DEL0", "DEL1"):
        world.records.add(OTHER, "skus", record_id, START - timedelta(days=1), code=record_id)
    cleanup = cleanups.create_cleanup(world.ports, OTHER, {"resource_type": "skus", "filters": {"code_start": "DEL"}},
                                      ACTOR)
    world.drain()
    # Then it completes, and leaves no lease behind
    assert world.cleanups.get(OTHER, cleanup.id).status == "completed"
    assert world.leases.in_flight(OTHER, now(world)) == 0


def test_worker_holds_one_slot_while_it_deletes_and_releases_it_after() -> None:
    world = gated_world(2)
    skus(world, 3)
    cleanup = create(world, filters={"code_start": "DEL"})
    seen: list[int] = []
    world.records.after_delete = lambda: seen.append(world.leases.in_flight(TENANT, now(world)))
    world.drain()
    assert world.cleanups.get(TENANT, cleanup.id).status == "completed"
    assert seen and set(seen) == {1}
    assert world.leases.held(TENANT) == {}


def test_a_batch_delivered_while_another_holds_the_last_slot_waits_and_then_completes() -> None:
    # Given a limit of 1 and two batches (of 4): the second is delivered while the first is deleting
    world = gated_world(1)
    skus(world, 8)
    cleanup = create(world, filters={"code_start": "DEL"})
    first, second = world.queue.take()
    peaks: list[int] = []

    def meanwhile() -> None:
        peaks.append(world.leases.in_flight(TENANT, now(world)))
        if second not in world.queue.messages and len(peaks) == 1:
            world.deliver([second])
    world.records.after_delete = meanwhile
    # When the first is delivered, then whatever comes back
    world.deliver([first])
    assert world.queue.messages == [second]  # given back, not processed inside the first's slot
    world.drain()
    # Then the tenant never held more than one worker, and every record is counted once
    done = world.cleanups.get(TENANT, cleanup.id)
    assert max(peaks) == 1 and (done.status, done.processed_count) == ("completed", 8)


def test_a_duplicate_delivery_takes_a_slot_of_its_own_and_the_counts_stay_exact() -> None:
    # Given a limit of 2 and one batch delivered twice at once (the duplicate while the first deletes)
    world = gated_world(2)
    skus(world, 4)
    cleanup = create(world, filters={"code_start": "DEL"})
    message = world.queue.take()[0]
    peaks: list[int] = []

    def duplicate() -> None:
        peaks.append(world.leases.in_flight(TENANT, now(world)))
        if len(peaks) == 1:
            world.deliver([message])
    world.records.after_delete = duplicate
    world.deliver([message])
    # Then both ran side by side within the limit, the records are counted once, and both slots are free again
    done = world.cleanups.get(TENANT, cleanup.id)
    assert max(peaks) == 2 and (done.status, done.processed_count) == ("completed", 4)
    assert world.leases.held(TENANT) == {}


def test_a_crashed_workers_slot_is_taken_again_once_its_lease_expires_and_its_late_release_frees_nothing() -> None:
    # Given a limit of 1 and a worker that took the slot and died
    world = gated_world(1)
    crashed = leases.take(world.ports, TENANT)
    assert crashed is not None and leases.take(world.ports, TENANT) is None
    # When the lease's time has passed
    world.clock.advance(LEASE_SECONDS)
    successor = leases.take(world.ports, TENANT)
    # Then the slot is taken again; the dead worker's release (were it to come) leaves the successor holding it
    assert successor is not None and successor.slot == crashed.slot
    leases.release(world.ports, crashed)
    assert world.leases.held(TENANT)[0].holder == successor.holder
    assert leases.take(world.ports, TENANT) is None


@dataclass
class RacingLeases(InMemoryLeases):
    """Each read first lets `rivals` (other workers) take a slot: the reader then claims a slot already taken."""

    rivals: list[str] = field(default_factory=list)

    def held(self, tenant: Tenant) -> dict[int, Held]:
        seen = super().held(tenant)
        if self.rivals:
            slot = fairness.free_slot(seen, 2, 0.0)
            if slot is not None:
                super().claim(tenant, slot, Held(self.rivals.pop(0), 1e12), 0.0)
        return seen


def test_a_worker_that_loses_the_race_for_a_slot_reads_again_and_takes_the_next_or_waits() -> None:
    # Given a limit of 2, and a rival taking the slot this worker read as free, between its read and its write
    world = gated_world(2)
    world.leases = RacingLeases(rivals=["rival-1"])
    lease = leases.take(world.ports, TENANT)
    # Then the worker lost slot 0 and took slot 1
    assert lease is not None and lease.slot == 1
    assert {s: h.holder for s, h in world.leases.held(TENANT).items()} == {0: "rival-1", 1: lease.holder}
    # And when a rival wins the last slot the same way, the next worker is refused
    world.leases = RacingLeases(rivals=["rival-2"], slots={(TENANT, 0): Held("rival-1", 1e12)})
    assert leases.take(world.ports, TENANT) is None
    assert len(world.leases.held(TENANT)) == 2


def test_no_limit_takes_no_slot_and_writes_nothing() -> None:
    world = gated_world(0)
    skus(world, 3)
    create(world, filters={"code_start": "DEL"})
    world.drain()
    assert (world.leases.claims, world.leases.releases, world.leases.slots) == (0, 0, {})


def test_holders_never_exceed_the_limit_under_random_takes_releases_crashes_and_time() -> None:
    # Given a limit of 3 and 300 random steps: take, release, crash (never release), let time pass
    world = gated_world(3)
    rng = random.Random(15)
    running: list[fairness.Lease] = []
    released: set[str] = set()
    crashed: set[str] = set()
    granted = 0
    expiry: dict[str, float] = {}
    for _ in range(300):
        step = rng.choice(["take", "take", "release", "crash", "wait"])
        if step == "take":
            lease = leases.take(world.ports, TENANT)
            if lease is not None:
                granted += 1
                running.append(lease)
                expiry[lease.holder] = world.leases.held(TENANT)[lease.slot or 0].expires_at
        elif step in ("release", "crash") and running:
            lease = running.pop(rng.randrange(len(running)))
            if step == "release":
                leases.release(world.ports, lease)
            (released if step == "release" else crashed).add(lease.holder)
        elif step == "wait":
            world.clock.advance(rng.uniform(0, LEASE_SECONDS / 2))
        # Then at most 3 unexpired leases, each held by a running or crashed worker, never by one that released
        moment = now(world)
        live = {held.holder for held in world.leases.held(TENANT).values() if held.expires_at > moment}
        assert len(live) == world.leases.in_flight(TENANT, moment) <= 3
        assert live <= {lease.holder for lease in running} | crashed and not live & released
        # And every running worker whose lease has not expired still holds its slot
        for lease in running:
            if expiry[lease.holder] > moment:
                assert world.leases.held(TENANT)[lease.slot or 0].holder == lease.holder
    assert granted > 20 and crashed and released  # the run did exercise every path
