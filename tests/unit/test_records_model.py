"""Pure record logic: validation against the catalog, derived values, the item codec, rendering."""
from __future__ import annotations

import pytest

from chalicelib.catalog import get_type
from chalicelib.exceptions import ValidationError
from chalicelib.records.items import build_item, from_attribute_value, item_guards, to_attribute_value
from chalicelib.records.model import clean_attributes, clean_relationships, derive, record_from_item
from chalicelib.tenancy import Tenant

TENANT = Tenant("org", "test")


def _pointers(error: ValidationError) -> list[str | None]:
    return [d.pointer for d in error.details]


def test_clean_attributes_collects_every_problem_with_its_pointer():
    # Given a sku body with an unknown, a read-only, a mistyped attribute and a missing name
    body = {"code": "A", "colour": "red", "inventory": {}, "weight": "heavy", "created_at": "2026-01-01"}
    # When it is cleaned for a create
    with pytest.raises(ValidationError) as raised:
        clean_attributes(get_type("skus"), body, creating=True)
    # Then each problem is reported at its member
    assert sorted(_pointers(raised.value)) == sorted(
        f"/data/attributes/{n}" for n in ("colour", "inventory", "weight", "created_at", "name"))


@pytest.mark.parametrize(("name", "value", "stored"), [
    ("weight", 2, 2), ("weight", 2.5, 2.5), ("do_not_ship", True, True),
    ("unit_of_weight", "oz", "oz"), ("metadata", {"a": [1, None]}, {"a": [1, None]}), ("description", None, None),
])
def test_clean_attributes_accepts_values_of_the_attribute_type(name, value, stored):
    clean = clean_attributes(get_type("skus"), {"code": "A", "name": "n", name: value}, creating=True)
    assert clean[name] == stored


@pytest.mark.parametrize(("name", "value"), [
    ("pieces_per_pack", True), ("pieces_per_pack", 1.5), ("weight", "1"), ("do_not_ship", "true"),
    ("unit_of_weight", "kg"), ("metadata", []),
])
def test_clean_attributes_refuses_values_of_another_type(name, value):
    with pytest.raises(ValidationError) as raised:
        clean_attributes(get_type("skus"), {"code": "A", "name": "n", name: value}, creating=True)
    assert _pointers(raised.value) == [f"/data/attributes/{name}"]


def test_clean_attributes_canonicalises_datetimes_to_utc_milliseconds():
    clean = clean_attributes(get_type("gift_cards"), {"balance_cents": 1, "expires_at": "2026-01-01T13:00:00+01:00"},
                             creating=True)
    assert clean["expires_at"] == "2026-01-01T12:00:00.000Z"


def test_clean_attributes_on_update_refuses_blanking_a_required_attribute_only():
    # Given an update of a sku; when name is nulled, then it is refused; a description may be nulled
    with pytest.raises(ValidationError) as raised:
        clean_attributes(get_type("skus"), {"name": None}, creating=False, current={"name": "n"})
    assert _pointers(raised.value) == ["/data/attributes/name"]
    assert clean_attributes(get_type("skus"), {"description": None}, creating=False) == {"description": None}


def test_clean_relationships_requires_required_ones_and_refuses_unknown_or_read_only():
    with pytest.raises(ValidationError) as raised:
        clean_relationships(get_type("stock_items"), {"reserved_stock": "r1", "bogus": "b1", "sku": 5},
                            creating=True)
    assert sorted(_pointers(raised.value)) == sorted(
        f"/data/relationships/{n}" for n in ("reserved_stock", "bogus", "sku", "stock_location"))


def test_derive_takes_currency_from_the_price_list_and_floats_from_cents():
    derived = derive(get_type("prices"), {"amount_cents": 1250}, {"price_list": {"currency_code": "EUR"}})
    assert derived["currency_code"] == "EUR" and derived["amount_float"] == 12.5


def test_derive_sets_the_type_of_a_tier():
    assert derive(get_type("price_volume_tiers"), {}, {})["type"] == "price_volume_tiers"


def test_build_item_derives_index_keys_and_record_from_item_renders_it_back():
    # Given a price of a sku in a price list with a code
    rtype = get_type("prices")
    values = {"amount_cents": 100, "reference": "Ref-1", "metadata": {"k": "v"}, "sku_code": None}
    item = build_item(TENANT, rtype, "P1", values, {"sku": "S1", "price_list": "L1"}, ["price_volume_tiers/T1"])
    # Then keys, relationship indexes, case-folded reference and children are set; nulls are absent
    assert item["pk"] == {"S": "org#test#prices"} and item["sk"] == {"S": "P1"}
    slot = rtype.relationships["sku"].index_slot
    assert item[f"rel{slot}"] == {"S": "org#test#prices#sku#S1"} and item["sku_id"] == {"S": "S1"}
    assert item["reference_ci"] == {"S": "ref-1"} and "sku_code" not in item
    assert item["children"] == {"SS": ["price_volume_tiers/T1"]}
    record = record_from_item(rtype, item)
    assert record.attributes["amount_cents"] == 100 and record.attributes["sku_code"] is None
    assert record.relationships == {"sku": "S1", "price_list": "L1"} and "id" not in record.attributes


@pytest.mark.parametrize("code, folded", [("AbC", "abc"), ("ΑΣ-9", "ασ-9"), ("Ασ-9", "ασ-9"), ("Straße", "strasse")])
def test_item_guards_and_the_code_index_are_case_folded(code, folded):
    # Given a sku coded in any case and script
    item = build_item(TENANT, get_type("skus"), "S1", {"code": code}, {})
    # Then its guard and its index value are the folded code (chalicelib.text.fold): ΑΣ-9 and Ασ-9 share both
    assert item_guards(TENANT, get_type("skus"), item) == {
        "code": {"pk": {"S": "org#test#skus#unique#code"}, "sk": {"S": folded}}}
    assert item["code_ci"] == {"S": folded}


def test_clean_attributes_refuses_a_code_too_long_for_a_key_once_folded():
    # Given codes of at most 255 characters: 200 musical symbols (800 bytes, 2,400 bytes once folded),
    # and 255 Greek letters with a final sigma (510 bytes, the same once folded)
    too_long, fits = "\U0001d160" * 200, "Σ" * 255
    # When they are cleaned, Then only the one whose folded key DynamoDB would refuse is a 422 on code
    with pytest.raises(ValidationError) as raised:
        clean_attributes(get_type("skus"), {"code": too_long, "name": "n"}, creating=True)
    assert _pointers(raised.value) == ["/data/attributes/code"]
    assert "once case-folded" in raised.value.details[0].detail
    assert clean_attributes(get_type("skus"), {"code": fits, "name": "n"}, creating=True)["code"] == fits


@pytest.mark.parametrize("value", ["s", 3, -7, 2.5, True, False, None, {"a": {"b": [1, "x"]}}, []])
def test_attribute_values_round_trip(value):
    assert from_attribute_value(to_attribute_value(value)) == value
