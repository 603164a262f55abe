"""Records CRUD against moto: validation pointers, uniqueness, tenancy, updates."""
from __future__ import annotations

import re

import pytest

from chalicelib.exceptions import RecordNotFoundError, ValidationError
from chalicelib.records.adapters.store import RecordsStore
from chalicelib.tenancy import Tenant
from tests.integration.records_api import create_record, delete_record, get_record, list_records, update_record

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def _pointers(error: ValidationError) -> set[str | None]:
    return {d.pointer for d in error.details}


def test_create_record_renders_every_catalog_attribute_and_canonical_timestamps(records, tenant):
    # Given a shipping category
    category = records.shared("shipping_categories")
    # When a sku is created
    sku = create_record(tenant, "skus", {"code": "ABC", "name": "Shirt", "metadata": {"color": "red"}},
                        {"shipping_category": category})
    # Then it renders every attribute, missing ones as None, and is found again
    assert sku.attributes["code"] == "ABC"
    assert sku.attributes["description"] is None
    assert sku.attributes["metadata"] == {"color": "red"}
    assert ISO_MS.match(sku.attributes["created_at"])
    assert sku.relationships == {"shipping_category": category}
    assert get_record(tenant, "skus", sku.id) == sku


@pytest.mark.parametrize(("attributes", "relationships", "pointer"), [
    ({"code": "A", "name": "n", "colour": "red"}, None, "/data/attributes/colour"),
    ({"code": "A", "name": "n", "inventory": {}}, None, "/data/attributes/inventory"),
    ({"code": "A", "name": 5}, None, "/data/attributes/name"),
    ({"code": "A"}, None, "/data/attributes/name"),
    ({"code": "A", "name": "n", "unit_of_weight": "kg"}, None, "/data/attributes/unit_of_weight"),
    ({"code": "A", "name": "n"}, {}, "/data/relationships/shipping_category"),
    ({"code": "A", "name": "n"}, {"shipping_category": "missing000"}, "/data/relationships/shipping_category"),
])
def test_create_record_rejects_bad_bodies_with_a_pointer(records, tenant, attributes, relationships, pointer):
    # Given a body with one problem
    if relationships is None:
        relationships = {"shipping_category": records.shared("shipping_categories")}
    # When it is created
    with pytest.raises(ValidationError) as raised:
        create_record(tenant, "skus", attributes, relationships)
    # Then the error points at the problem
    assert pointer in _pointers(raised.value)


def test_create_record_rejects_a_price_currency_code_and_derives_it_from_the_price_list(records, tenant):
    # Given a sku and a EUR price list
    sku = records.sku()
    # When a price names a currency, then it is refused: it comes from the price list
    with pytest.raises(ValidationError) as raised:
        create_record(tenant, "prices", {"amount_cents": 100, "currency_code": "USD"},
                      {"sku": sku.id, "price_list": records.shared("price_lists")})
    assert _pointers(raised.value) == {"/data/attributes/currency_code"}
    # And without it, the price takes the list's currency
    assert records.price(sku.id, 250).attributes["currency_code"] == "EUR"


def test_create_record_refuses_a_duplicate_unique_code_case_insensitively(records, tenant):
    # Given a sku with code ABC
    records.sku("ABC")
    # When another sku takes abc
    with pytest.raises(ValidationError) as raised:
        records.sku("abc")
    # Then it is refused on the code
    assert _pointers(raised.value) == {"/data/attributes/code"}


def test_create_record_takes_over_a_guard_whose_record_is_gone(records, tenant):
    # Given a sku whose record vanished without releasing its guard (a crash)
    sku = records.sku("GHOST")
    RecordsStore().delete({"pk": {"S": f"{tenant.key}#skus"}, "sk": {"S": sku.id}})
    # When a new sku takes the code, then it succeeds
    assert records.sku("GHOST").attributes["code"] == "GHOST"


def test_update_record_moves_the_unique_guard_with_the_code(records, tenant):
    # Given a sku coded OLD
    sku = records.sku("OLD")
    # When its code changes to NEW
    updated = update_record(tenant, "skus", sku.id, {"code": "NEW", "description": "d"}, {})
    # Then OLD is free, NEW is taken, and the change is stored
    assert updated.attributes["code"] == "NEW"
    assert records.sku("OLD").attributes["code"] == "OLD"
    with pytest.raises(ValidationError):
        records.sku("new")
    assert get_record(tenant, "skus", sku.id).attributes["description"] == "d"


def test_update_record_refuses_non_updatable_and_removes_nulled_attributes(records, tenant):
    # Given a sku with a description
    sku = records.sku(description="d")
    # When an attribute that is not updatable is sent, then it is refused
    with pytest.raises(ValidationError) as raised:
        update_record(tenant, "skus", sku.id, {"inventory": {}}, {})
    assert _pointers(raised.value) == {"/data/attributes/inventory"}
    # And a null clears an attribute
    assert update_record(tenant, "skus", sku.id, {"description": None}, {}).attributes["description"] is None
    assert get_record(tenant, "skus", sku.id).attributes["description"] is None


def test_update_record_moves_a_stock_item_to_another_sku(records, tenant):
    # Given two skus and a stock item of the first
    first, second = records.sku(), records.sku()
    stock = records.stock_item(first.id)
    # When the stock item moves to the second sku
    update_record(tenant, "stock_items", stock.id, {}, {"sku": second.id})
    # Then deleting the first sku leaves it, deleting the second takes it
    delete_record(tenant, "skus", first.id)
    assert get_record(tenant, "stock_items", stock.id).relationships["sku"] == second.id
    delete_record(tenant, "skus", second.id)
    with pytest.raises(RecordNotFoundError):
        get_record(tenant, "stock_items", stock.id)


def test_records_of_another_tenant_are_not_found_and_never_listed(records, tenant, other_tenant):
    # Given a sku of one tenant
    sku = records.sku()
    # When another tenant (same organization, other mode included) asks for it
    for stranger in (other_tenant, Tenant(tenant.organization_id, "live")):
        # Then it is not found, not updatable, not deletable, not listed
        with pytest.raises(RecordNotFoundError):
            get_record(stranger, "skus", sku.id)
        with pytest.raises(RecordNotFoundError):
            update_record(stranger, "skus", sku.id, {"name": "x"}, {})
        with pytest.raises(RecordNotFoundError):
            delete_record(stranger, "skus", sku.id)
        assert list_records(stranger, "skus", [], [], 1, 10) == ([], 0)
    assert get_record(tenant, "skus", sku.id).id == sku.id


def test_create_record_refuses_a_parent_of_another_tenant(records, tenant, other_tenant):
    # Given a sku of one tenant
    sku = records.sku()
    # When another tenant creates a stock item pointing at it
    location = create_record(other_tenant, "stock_locations", {"name": "W"}, {"address": "a1"})
    with pytest.raises(ValidationError) as raised:
        create_record(other_tenant, "stock_items", {"quantity": 1},
                      {"sku": sku.id, "stock_location": location.id})
    # Then the sku does not exist for it
    assert _pointers(raised.value) == {"/data/relationships/sku"}
