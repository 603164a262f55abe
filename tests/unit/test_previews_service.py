"""The preview use cases (create, get) and the cleanup create's expected_records_count, on in-memory fakes."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib import cleanups, previews
from chalicelib.cleanups import Actor
from chalicelib.cleanups.exceptions import RecordsCountChangedError, TooManyRecordsError
from chalicelib.exceptions import RecordNotFoundError, ValidationError
from chalicelib.filters import UnknownFilterError
from chalicelib.previews.estimate import estimate_seconds
from chalicelib.tenancy import Tenant
from tests.unit.fakes import START, World, settings

TENANT = Tenant("org-alpha", "test")
OTHER = Tenant("org-beta", "test")
ACTOR = Actor(who={"application": {"id": "app", "client_id": "c", "kind": "integration"}})
OLD = START - timedelta(days=1)


def sku_with_associated(world: World, sku_id: str, code: str) -> None:
    """A sku with a price (and its tier) and a stock item, linked by `children` as the records store links them."""
    world.records.add(TENANT, "price_volume_tiers", f"T{sku_id}", OLD)
    world.records.add(TENANT, "prices", f"P{sku_id}", OLD, children=[f"price_volume_tiers/T{sku_id}"])
    world.records.add(TENANT, "stock_items", f"S{sku_id}", OLD)
    world.records.add(TENANT, "skus", sku_id, OLD, code=code, name=f"Sku {code}",
                      children=[f"prices/P{sku_id}", f"stock_items/S{sku_id}"])


def preview(world: World, **attributes: Any) -> previews.Preview:
    return previews.create_preview(world.preview_ports, TENANT, {"resource_type": "skus", **attributes})


def test_create_preview_counts_the_selection_and_every_associated_record_per_type() -> None:
    # Given twelve DEL skus each with a price (with a tier) and a stock item, and a KEEP sku
    world = World(settings=settings(preview_items_per_second=10.0))
    for n in range(12):
        sku_with_associated(world, f"D{n:03d}", f"DEL{n:03d}")
    sku_with_associated(world, "K000", "KEEP")
    # When the DEL skus are previewed
    found = preview(world, filters={"code_start": "DEL"})
    # Then it counts twelve records, their 36 associated records per type, and estimates 48 items at 10 a second
    assert found.records_count == 12
    assert found.associated_counts == {"prices": 12, "stock_items": 12, "sku_list_items": 0,
                                       "in_stock_subscriptions": 0, "tax_categories": 0,
                                       "price_volume_tiers": 12, "price_frequency_tiers": 0}
    assert found.items_count == 48 and found.estimated_seconds == 5
    # And its sample is the first ten records by id, with code and name
    assert found.sample[0] == {"id": "D000", "code": "DEL000", "name": "Sku DEL000"}
    assert [entry["id"] for entry in found.sample] == [f"D{n:03d}" for n in range(10)]


def test_create_preview_does_not_count_an_associated_record_that_is_gone() -> None:
    # Given a sku whose children set still names a price deleted without it
    world = World()
    sku_with_associated(world, "D000", "DEL000")
    del world.records.records[(TENANT.key, "prices", "PD000")]
    # When it is previewed
    found = preview(world)
    # Then neither the price nor its (unreachable) tier is counted
    assert (found.associated_counts["prices"], found.associated_counts["price_volume_tiers"]) == (0, 0)
    assert found.associated_counts["stock_items"] == 1


def test_create_preview_writes_nothing_but_itself() -> None:
    # Given skus
    world = World()
    for n in range(3):
        sku_with_associated(world, f"D{n:03d}", f"DEL{n:03d}")
    records_before = dict(world.records.records)
    # When they are previewed
    found = preview(world)
    # Then the preview is stored, and no record, cleanup, slot, event or message was touched
    assert world.previews.get(TENANT, found.id) == found
    assert world.records.records == records_before and world.records.calls == []
    assert world.cleanups.cleanups == {} and world.cleanups.slots == {}
    assert world.events.events == [] and world.queue.messages == []


@pytest.mark.parametrize(("attributes", "pointer"), [
    ({"resource_type": None}, "/data/attributes/resource_type"),
    ({"resource_type": "orders"}, "/data/attributes/resource_type"),
    ({"reference": "x"}, "/data/attributes/reference"),
    ({"expected_records_count": 1}, "/data/attributes/expected_records_count"),
    ({"filters": "code_eq=x"}, "/data/attributes/filters"),
])
def test_create_preview_refuses_what_a_cleanup_create_refuses_with_a_pointer(attributes: dict[str, Any],
                                                                              pointer: str) -> None:
    # Given a world
    world = World()
    # When a preview is asked with a bad attribute
    with pytest.raises(ValidationError) as refused:
        preview(world, **attributes)
    # Then it is a 422 on that attribute, and nothing is stored
    assert [d.pointer for d in refused.value.details] == [pointer]
    assert world.previews.previews == {}


def test_create_preview_refuses_an_unknown_filter_as_a_cleanup_create_does() -> None:
    # Given a world
    world = World()
    # When a preview and a cleanup are asked with an unknown filter, Then both refuse it alike
    with pytest.raises(UnknownFilterError) as by_preview:
        preview(world, filters={"colour_eq": "red"})
    with pytest.raises(UnknownFilterError) as by_cleanup:
        cleanups.create_cleanup(world.ports, TENANT, {"resource_type": "skus", "filters": {"colour_eq": "red"}}, ACTOR)
    assert str(by_preview.value) == str(by_cleanup.value)


def test_create_preview_over_the_records_cap_is_refused_like_a_cleanup() -> None:
    # Given more skus than a cleanup may select
    world = World(settings=settings(max_cleanup_records=3))
    for n in range(4):
        sku_with_associated(world, f"D{n:03d}", f"DEL{n:03d}")
    # When they are previewed, Then it is the cleanup's 422 on filters, and nothing is stored
    with pytest.raises(TooManyRecordsError):
        preview(world)
    assert world.previews.previews == {}


def test_get_preview_answers_for_24_hours_then_404() -> None:
    # Given a preview
    world = World()
    found = preview(world)
    # When it is read just before 24 hours have passed, Then it is there
    world.clock.advance(24 * 3600 - 1)
    assert previews.get_preview(world.preview_ports, TENANT, found.id) == found
    # And once 24 hours have passed (whether or not the TTL removed the item), it is 404
    world.clock.advance(1)
    with pytest.raises(RecordNotFoundError):
        previews.get_preview(world.preview_ports, TENANT, found.id)


def test_get_preview_of_another_tenant_is_404() -> None:
    # Given a preview of one tenant
    world = World()
    found = preview(world)
    # When another tenant (or the other mode) asks for it, Then it is not found
    for tenant in (OTHER, Tenant(TENANT.organization_id, "live")):
        with pytest.raises(RecordNotFoundError):
            previews.get_preview(world.preview_ports, tenant, found.id)


def test_estimate_without_a_learned_rate_rounds_the_configured_rate_up_to_whole_seconds() -> None:
    assert [estimate_seconds(1, n, None, 300.0) for n in (0, 1, 300, 301)] == [0, 1, 1, 2]


# --- expected_records_count on a cleanup create ---------------------------------------------------

def test_create_cleanup_with_the_previewed_count_is_created() -> None:
    # Given skus and their preview
    world = World()
    for n in range(3):
        sku_with_associated(world, f"D{n:03d}", f"DEL{n:03d}")
    expected = preview(world).records_count
    # When a cleanup is created expecting that count, Then it is created
    cleanup = cleanups.create_cleanup(world.ports, TENANT, {"resource_type": "skus",
                                                            "expected_records_count": expected}, ACTOR)
    assert (cleanup.status, cleanup.records_count) == ("pending", 3)


def test_create_cleanup_whose_selection_differs_from_the_expected_count_creates_nothing() -> None:
    # Given a preview of three skus, then a fourth sku
    world = World()
    for n in range(3):
        sku_with_associated(world, f"D{n:03d}", f"DEL{n:03d}")
    expected = preview(world).records_count
    sku_with_associated(world, "D003", "DEL003")
    # When a cleanup is created expecting the previewed count
    with pytest.raises(RecordsCountChangedError) as refused:
        cleanups.create_cleanup(world.ports, TENANT, {"resource_type": "skus", "expected_records_count": expected},
                                ACTOR)
    # Then it is a 422 on expected_records_count, and no cleanup, event, message or slot exists
    assert [d.pointer for d in refused.value.details] == ["/data/attributes/expected_records_count"]
    assert world.cleanups.cleanups == {} and world.cleanups.slots == {}
    assert world.events.events == [] and world.queue.messages == []


@pytest.mark.parametrize("value", [-1, 1.5, "3", True])
def test_create_cleanup_refuses_an_expected_count_that_is_not_a_whole_number(value: object) -> None:
    # Given a world, When a cleanup is created with a bad expected_records_count, Then it is a 422 on it
    with pytest.raises(ValidationError) as refused:
        cleanups.create_cleanup(World().ports, TENANT, {"resource_type": "skus", "expected_records_count": value},
                                ACTOR)
    assert [d.pointer for d in refused.value.details] == ["/data/attributes/expected_records_count"]
