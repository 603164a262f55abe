"""The reference semantics of every predicate family (chalicelib.filters.evaluate)."""
from __future__ import annotations

from typing import Any

import pytest

from chalicelib.filters import Condition, matches, parse_filters

FIELDS = {
    "code": "string",
    "name": "string",
    "quantity": "integer",
    "price": "float",
    "disabled": "boolean",
    "created_at": "datetime",
    "metadata": "object",
    "tags": "array",
}


def record(**values: Any) -> dict[str, Any]:
    base = {"code": "AB-12", "name": "Red Shirt", "quantity": 5, "price": 9.5, "disabled": False,
            "created_at": "2024-05-01T10:00:00.000Z", "metadata": {"color": "red", "size": {"eu": 42}},
            "tags": ["a"]}
    base.update(values)
    return base


def selects(raw: dict[str, Any], item: dict[str, Any]) -> bool:
    return matches(parse_filters(FIELDS, raw), item)


CASES = [
    # equality
    ({"code_eq": "AB-12"}, record(), True),
    ({"code_eq": "ab-12"}, record(), False),
    ({"code_eq": "AB-12"}, record(code=None), False),
    ({"code_eq_or_null": "X"}, record(code=None), True),
    ({"code_eq_or_null": "X"}, record(), False),
    ({"code_not_eq": "X"}, record(), True),
    ({"code_not_eq": "X"}, record(code=None), False),
    ({"code_not_eq_or_null": "X"}, record(code=None), True),
    ({"code_not_eq_or_null": "AB-12"}, record(), False),
    ({"code_not_eq_all": "X,Y"}, record(), True),
    ({"code_not_eq_all": "X,AB-12"}, record(), False),
    ({"quantity_eq": "5"}, record(), True),
    ({"price_eq": "9.50"}, record(), True),
    ({"disabled_eq": "f"}, record(), True),
    ({"created_at_eq": "2024-05-01T12:00:00+02:00"}, record(), True),
    # order
    ({"quantity_lt": "6"}, record(), True),
    ({"quantity_lt": "5"}, record(), False),
    ({"quantity_lteq": "5"}, record(), True),
    ({"quantity_gt": "4"}, record(), True),
    ({"quantity_gteq": "6"}, record(), False),
    ({"quantity_gt": "0"}, record(quantity=None), False),
    ({"price_lt_any": "1,10"}, record(), True),
    ({"price_lt_all": "1,10"}, record(), False),
    ({"price_gteq_all": "9.5,2"}, record(), True),
    ({"created_at_gt": "2024-04-30"}, record(), True),
    ({"created_at_lt": "2024-05-01T10:00:00.001Z"}, record(), True),
    ({"code_lt": "B"}, record(), True),
    ({"code_gt_any": "ZZ,AA"}, record(), True),
    # presence
    ({"name_present": "true"}, record(), True),
    ({"name_present": "true"}, record(name=""), False),
    ({"name_present": "false"}, record(name=""), True),
    ({"name_blank": "1"}, record(name=None), True),
    ({"name_blank": "1"}, record(name=""), True),
    ({"name_blank": "1"}, record(name=" "), False),
    ({"name_blank": "0"}, record(), True),
    ({"name_null": "true"}, record(name=None), True),
    ({"name_null": "true"}, record(name=""), False),
    ({"name_null": "false"}, record(), True),
    ({"name_not_null": "true"}, {"code": "x"}, False),
    ({"name_not_null": "false"}, {"code": "x"}, True),
    ({"quantity_present": "true"}, record(quantity=0), True),
    ({"tags_blank": "true"}, record(tags=None), True),
    # membership
    ({"code_in": "X,AB-12"}, record(), True),
    ({"code_in": ["X", "Y"]}, record(), False),
    ({"code_in": "X"}, record(code=None), False),
    ({"code_in_or_null": "X"}, record(code=None), True),
    ({"code_not_in": "X,Y"}, record(), True),
    ({"code_not_in": "X,AB-12"}, record(), False),
    ({"code_not_in": "X"}, record(code=None), False),
    ({"code_not_in_or_null": "X"}, record(code=None), True),
    ({"quantity_in": [4, 5]}, record(), True),
    # SQL LIKE patterns, case-insensitive
    ({"name_matches": "red%"}, record(), True),
    ({"name_matches": "%SHIRT"}, record(), True),
    ({"name_matches": "red_shirt"}, record(), True),
    ({"name_matches": "red"}, record(), False),
    ({"name_matches": "100\\%"}, record(name="100%"), True),
    ({"name_matches": "100\\%"}, record(name="1000"), False),
    ({"name_does_not_match": "%blue%"}, record(), True),
    ({"name_does_not_match": "%blue%"}, record(name=None), False),
    ({"name_matches_any": "blue%,red%"}, record(), True),
    ({"name_matches_all": "red%,%blue"}, record(), False),
    ({"name_does_not_match_any": "red%,blue%"}, record(), True),
    ({"name_does_not_match_all": "red%,blue%"}, record(), False),
    # prefix, suffix, substring: the value is literal text, matched case-insensitively
    ({"code_start": "ab"}, record(), True),
    ({"code_start": "b"}, record(), False),
    ({"code_start": "a%"}, record(), False),
    ({"code_not_start": "X"}, record(), True),
    ({"code_not_start": "X"}, record(code=None), False),
    ({"code_start_any": "x,a"}, record(), True),
    ({"code_start_all": "a,ab"}, record(), True),
    ({"code_not_start_any": "a,x"}, record(), True),
    ({"code_not_start_all": "a,x"}, record(), False),
    ({"code_end": "-12"}, record(), True),
    ({"code_not_end": "12"}, record(), False),
    ({"code_end_any": "1,2"}, record(), True),
    ({"code_end_all": "2,12"}, record(), True),
    ({"code_not_end_any": "2,3"}, record(), True),
    ({"code_not_end_all": "2,3"}, record(), False),
    ({"name_cont": "D sh"}, record(), True),
    ({"name_cont": "_"}, record(), False),
    ({"name_not_cont": "blue"}, record(), True),
    ({"name_cont_any": "blue,shirt"}, record(), True),
    ({"name_cont_all": "blue,shirt"}, record(), False),
    ({"name_not_cont_all": "blue,green"}, record(), True),
    ({"name_not_cont_all": "blue,red"}, record(), False),
    # boolean
    ({"disabled_true": "true"}, record(disabled=True), True),
    ({"disabled_true": "true"}, record(), False),
    ({"disabled_true": "false"}, record(), True),
    ({"disabled_true": "false"}, record(disabled=None), False),
    ({"disabled_false": "true"}, record(), True),
    ({"disabled_false": "false"}, record(disabled=True), True),
    ({"disabled_false": "true"}, record(disabled=None), False),
    # JSON containment, as PostgreSQL's jsonb @>
    ({"metadata_jcont": {"color": "red"}}, record(), True),
    ({"metadata_jcont": '{"size": {"eu": 42.0}}'}, record(), True),
    ({"metadata_jcont": {"size": {}}}, record(), True),
    ({"metadata_jcont": {}}, record(), True),
    ({"metadata_jcont": {}}, record(metadata=None), False),
    ({"metadata_jcont": {"color": "RED"}}, record(), False),
    ({"metadata_jcont": {"color": "red", "x": 1}}, record(), False),
    ({"metadata_jcont": {"size": 42}}, record(), False),
    ({"metadata_jcont": {"flag": 1}}, record(metadata={"flag": True}), False),
    ({"metadata_jcont": {"tags": ["b"]}}, record(metadata={"tags": ["a", "b"]}), True),
    ({"metadata_jcont": {"tags": ["c"]}}, record(metadata={"tags": ["a", "b"]}), False),
    ({"metadata_jcont": {"tags": "a"}}, record(metadata={"tags": ["a"]}), False),
    ({"metadata_jcont": {"l": [{"k": 1}]}}, record(metadata={"l": [{"k": 1, "j": 2}, 3]}), True),
    ({"metadata_jcont": {"n": None}}, record(metadata={"n": None}), True),
]


@pytest.mark.parametrize("raw, item, expected", CASES)
def test_matches_follows_ransack_semantics(raw: dict[str, Any], item: dict[str, Any], expected: bool) -> None:
    # Given a record and one filter
    # When the filter is evaluated on the record
    # Then the record is selected exactly when Ransack on PostgreSQL would select it
    assert selects(raw, item) is expected


@pytest.mark.parametrize("raw, code, expected", [
    # Greek: a sigma is one letter whether it ends a word (ς) or not (σ, Σ)
    ({"code_start": "ΑΣ"}, "ΑΣΒ-1", True),
    ({"code_start": "ΑΣ"}, "ΑΣ-2", True),
    ({"code_start": "ας"}, "ΑΣΒ-1", True),
    ({"code_start": "ας"}, "ΑΣ-2", True),
    ({"code_end": "ς"}, "ΟΔΥΣΣΕΥΣ", True),
    ({"code_cont": "σσ"}, "ΟΔΥΣΣΕΥΣ", True),
    ({"code_matches": "%ς-_"}, "ΑΣ-2", True),
    ({"code_not_start": "ας"}, "ΑΣ-2", False),
    ({"code_start": "αβ"}, "ΑΣΒ-1", False),
    # Turkish: İ folds to i + U+0307, ı is a letter of its own
    ({"code_start": "i\u0307st"}, "İSTANBUL", True),
    ({"code_start": "İST"}, "i\u0307stanbul", True),
    ({"code_start": "ist"}, "ISTANBUL", True),
    ({"code_start": "ıst"}, "ISTANBUL", False),
    ({"code_cont": "ı"}, "KIRMIZI", False),
    ({"code_cont": "ı"}, "kırmızı", True),
    # German: ß is ss
    ({"code_eq": "STRASSE"}, "Straße", False),  # equality stays exact, as SQL's =
    ({"code_start": "STRASS"}, "Straße", True),
    ({"code_end": "sse"}, "STRAẞE", True),
    ({"code_cont": "ß"}, "STRASSE", True),
    ({"code_matches": "stra__e"}, "Straße", True),  # `_` is one character of the folded text
    # composed and decomposed forms are the same text
    ({"code_start": "e\u0301"}, "ÉTÉ", True),
    ({"code_start": "e"}, "été", False),
])
def test_matches_folds_greek_turkish_and_german_text(raw: dict[str, Any], code: str, expected: bool) -> None:
    # Given a record coded in one script and a pattern filter in any case of it
    # When it is evaluated, Then both sides are compared case-folded (chalicelib.text.fold)
    assert selects(raw, record(code=code)) is expected


@pytest.mark.parametrize("raw, item, expected", [
    ({"name_or_code_cont": "ab"}, record(), True),
    ({"name_or_code_cont": "zz"}, record(), False),
    ({"name_or_code_not_eq": "AB-12"}, record(), True),
    ({"name_or_code_not_eq": "AB-12"}, record(name=None), False),
    ({"name_or_code_null": "true"}, record(name=None), True),
    ({"name_or_code_eq": "AB-12"}, record(name=None), True),
])
def test_matches_ors_attributes_for_positive_and_negative_predicates(raw: dict[str, Any], item: dict[str, Any],
                                                                     expected: bool) -> None:
    # Given a record and a filter on two attributes joined by _or_
    # When it is evaluated
    # Then it holds when it holds for either attribute, negative predicates too
    assert selects(raw, item) is expected


def test_matches_ands_every_condition() -> None:
    # Given two conditions, each satisfied alone
    filters = {"code_start": "AB", "quantity_gt": "4"}
    # When one of them fails, Then the record is not selected
    assert selects(filters, record())
    assert not selects(filters, record(quantity=1))


def test_matches_accepts_a_sequence_of_conditions() -> None:
    # Given the conditions of a filter set as a plain list
    conditions = list(parse_filters(FIELDS, {"code_eq": "X"}).conditions)
    # When evaluated, Then they behave as the set does
    assert matches(conditions, record(code="X"))
    assert not matches(conditions, record())
    assert matches([], record())


@pytest.mark.parametrize("predicate, operands, actual, expected", [
    ("in", [1, "1", "x"], "1", True),
    ("in", [1, True], "1", False),  # a string equals only a string
    ("in", [], "x", False),
    ("not_in", [1, "y"], "x", True),
    ("not_in", ["x", 2], "x", False),
    ("not_in", [], "x", True),
    ("in_or_null", ["x"], None, True),
    ("in", ["1"], 1, False),  # not a string: compared operand by operand
    ("in", [1.0], 1, True),
    ("not_eq_all", ["a", "b"], "c", True),
])
def test_membership_in_a_list_is_what_comparing_operand_by_operand_gives(predicate: str, operands: list[Any],
                                                                         actual: Any, expected: bool) -> None:
    # Given a list filter, its operands as coerced values of any kind, and a record's value
    condition = Condition(f"code_{predicate}", ("code",), predicate, operands)
    # When evaluated twice (the second time from the list's remembered set)
    answers = [matches([condition], {"code": actual}) for _ in range(2)]
    # Then both answers are SQL's `IN` / `NOT IN`
    assert answers == [expected, expected]


def test_a_long_in_list_is_evaluated_by_lookup_as_each_operand_would_be() -> None:
    # Given 10,000 codes, and records with the first, the last, one in another case and none of them
    codes = [f"CODE-{n:05d}" for n in range(10_000)]
    conditions = list(parse_filters(FIELDS, {"code_in": codes}).conditions)
    # When each is evaluated, Then only the exact codes are selected
    assert [matches(conditions, record(code=c)) for c in ("CODE-00000", "CODE-09999", "code-00001", "X")] == [
        True, True, False, False]
