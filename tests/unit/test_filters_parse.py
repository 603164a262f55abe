"""Parsing filter keys and coercing their values (chalicelib.filters.parse)."""
from __future__ import annotations

import pytest

from chalicelib.filters import (
    PREDICATES,
    Condition,
    FilterValueError,
    UnknownFilterError,
    parse_filters,
)

FIELDS = {
    "id": "string",
    "code": "string",
    "name": "string",
    "quantity": "integer",
    "amount_float": "float",
    "disabled": "boolean",
    "created_at": "datetime",
    "metadata": "object",
    "tags": "array",
    "sku_id": "string",
}

# One attribute of each type every predicate applies to, and a valid value for it.
SAMPLE = {"string": ("code", "AB"), "integer": ("quantity", "3"), "float": ("amount_float", "1.5"),
          "boolean": ("disabled", "true"), "datetime": ("created_at", "2024-01-01T00:00:00Z"),
          "object": ("metadata", {"a": 1}), "array": ("tags", "true")}


def only(raw: dict) -> Condition:
    (condition,) = parse_filters(FIELDS, raw).conditions
    return condition


@pytest.mark.parametrize("name", sorted(PREDICATES))
def test_parse_filters_accepts_every_predicate_of_the_table(name):
    # Given an attribute of a type the predicate applies to
    predicate = PREDICATES[name]
    kind = sorted(predicate.types)[0]
    attribute, value = SAMPLE[kind]
    if predicate.flag:
        value = "true"
    # When the key is parsed
    condition = only({f"{attribute}_{name}": value})
    # Then attribute and predicate are split at the predicate suffix
    assert (condition.attributes, condition.predicate) == ((attribute,), name)


def test_parse_filters_prefers_the_longest_predicate_suffix():
    # Given keys whose tails are also shorter predicates
    # When they are parsed
    conditions = parse_filters(FIELDS, {"code_not_eq": "a", "name_not_null": "1", "code_not_eq_or_null": "b"})
    # Then the longest predicate wins
    assert [c.predicate for c in conditions.conditions] == ["not_eq", "not_null", "not_eq_or_null"]


def test_parse_filters_splits_or_attributes():
    # Given a key ORing two attributes
    # When it is parsed
    condition = only({"name_or_code_cont": "x"})
    # Then both attributes are kept in order
    assert condition == Condition("name_or_code_cont", ("name", "code"), "cont", "x")


def test_parse_filters_keeps_an_attribute_whose_name_contains_or():
    # Given a field whose own name contains `_or_`
    fields = {"color_or_size": "string", "code": "string"}
    # When it is filtered alone and ORed with another attribute
    alone = parse_filters(fields, {"color_or_size_eq": "x"}).conditions[0]
    ored = parse_filters(fields, {"code_or_color_or_size_eq": "x"}).conditions[0]
    # Then the field name is not split
    assert alone.attributes == ("color_or_size",)
    assert ored.attributes == ("code", "color_or_size")


def test_parse_filters_reads_relationship_ids_as_strings():
    assert only({"sku_id_in": "a,b"}).value == ["a", "b"]


@pytest.mark.parametrize("raw, expected", [
    ("a,b,c", ["a", "b", "c"]),
    (["a", "b"], ["a", "b"]),
    ("a", ["a"]),
    ([1, True], ["1", "true"]),
])
def test_parse_filters_reads_list_values_from_arrays_or_commas(raw, expected):
    assert only({"code_in": raw}).value == expected


@pytest.mark.parametrize("key, raw, expected", [
    ("quantity_eq", "42", 42),
    ("quantity_eq", -7, -7),
    ("quantity_eq", 3.0, 3),
    ("quantity_in", "1,2", [1, 2]),
    ("amount_float_gt", "1.25", 1.25),
    ("amount_float_gt", "2", 2.0),
    ("amount_float_lt_any", [1, "2.5e1"], [1.0, 25.0]),
    ("disabled_eq", "t", True),
    ("disabled_eq", "FALSE", False),
    ("disabled_eq", 0, False),
    ("created_at_gt", "2024-03-01", "2024-03-01T00:00:00.000Z"),
    ("created_at_gt", "2024-03-01T10:20:30+02:00", "2024-03-01T08:20:30.000Z"),
    ("created_at_gt", "2024-03-01T10:20:30.123456Z", "2024-03-01T10:20:30.123Z"),
    ("created_at_lteq", "2024-03-01 10:20", "2024-03-01T10:20:00.000Z"),
    ("code_eq", 12, "12"),
    ("metadata_jcont", '{"a": {"b": [1]}}', {"a": {"b": [1]}}),
    ("name_null", "0", False),
    ("disabled_true", True, True),
    ("name_present", "f", False),
])
def test_parse_filters_coerces_values_to_the_attribute_type(key, raw, expected):
    assert only({key: raw}).value == expected


@pytest.mark.parametrize("key, raw", [
    ("quantity_eq", "4.5"),
    ("quantity_eq", "x"),
    ("quantity_eq", True),
    ("quantity_eq", str(10**40)),
    ("amount_float_eq", "nan"),
    ("amount_float_eq", "1e400"),
    ("disabled_eq", "yes"),
    ("created_at_eq", "yesterday"),
    ("created_at_eq", 1700000000),
    ("quantity_in", "1,x"),
    ("code_in", ""),
    ("code_in", []),
    ("code_eq", ["a"]),
    ("code_eq", None),
    ("name_null", "maybe"),
    ("metadata_jcont", "[1, 2]"),
    ("metadata_jcont", "{not json"),
    ("metadata_jcont", {"a": [10**40]}),
    ("metadata_jcont", '{"a": NaN}'),
])
def test_parse_filters_rejects_values_that_cannot_be_coerced(key, raw):
    with pytest.raises(FilterValueError) as caught:
        parse_filters(FIELDS, {key: raw})
    assert caught.value.key == key


@pytest.mark.parametrize("key", [
    "price_eq",           # unknown attribute
    "code_resembles",     # unknown predicate
    "code",               # no predicate at all
    "quantity_cont",      # pattern predicate on an integer
    "code_jcont",         # JSON containment on a string
    "metadata_eq",        # equality on an object
    "code_or_quantity_eq",  # ORed attributes of different types
    "code_or_price_eq",   # one unknown attribute in an OR
    "code_true",          # boolean predicate on a string
])
def test_parse_filters_rejects_unknown_attributes_and_predicates(key):
    with pytest.raises(UnknownFilterError) as caught:
        parse_filters(FIELDS, {key: "1"})
    assert caught.value.key == key
    assert caught.value.message
