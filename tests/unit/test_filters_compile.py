"""What compiles to a DynamoDB FilterExpression and what stays residual (chalicelib.filters.compile)."""
from __future__ import annotations

import re

import pytest

from chalicelib.filters import PREDICATES, Condition, compile_conditions, parse_filters

FIELDS = {"code": "string", "name": "string", "quantity": "integer", "price": "float",
          "disabled": "boolean", "created_at": "datetime", "metadata": "object"}


def compile_raw(raw: dict, prefix: str = "f"):
    return compile_conditions(parse_filters(FIELDS, raw).conditions, prefix=prefix)


def test_compile_conditions_uses_placeholders_only():
    # Given filters on several attributes, one of them a reserved word in DynamoDB
    raw = {"name_or_code_eq": "x", "quantity_gt": "2", "metadata_jcont": {"size": {"eu": 42}}}
    # When they are compiled with a caller's prefix
    expression, residual = compile_raw(raw, prefix="q")
    # Then no attribute name appears in the text, and every placeholder is declared and used
    assert residual == []
    assert not re.search(r"\b(name|code|quantity|metadata|size|eu)\b", expression.text)
    assert set(re.findall(r"#q\d+", expression.text)) == set(expression.names)
    assert set(re.findall(r":q\d+", expression.text)) == set(expression.values)
    assert set(expression.names.values()) == {"name", "code", "quantity", "metadata", "size", "eu"}


def test_compile_conditions_types_values_as_dynamodb_does():
    # Given values of every scalar type
    raw = {"code_eq": "7", "quantity_eq": "7", "price_eq": "0.1", "disabled_eq": "true",
           "created_at_eq": "2024-01-01T00:00:00+01:00"}
    # When compiled
    expression, _ = compile_raw(raw)
    # Then strings and datetimes are S, numbers N, booleans BOOL
    assert sorted(expression.values.values(), key=str) == sorted(
        [{"S": "7"}, {"N": "7"}, {"N": "0.1"}, {"BOOL": True}, {"S": "2023-12-31T23:00:00.000Z"}], key=str)


@pytest.mark.parametrize("name", sorted(n for n, p in PREDICATES.items() if p.test == "like"))
def test_compile_conditions_leaves_case_insensitive_patterns_residual(name):
    # Given a pattern predicate (DynamoDB's begins_with/contains are case-sensitive)
    # When compiled
    expression, residual = compile_raw({f"code_{name}": "a"})
    # Then it is residual
    assert expression is None
    assert [c.predicate for c in residual] == [name]


@pytest.mark.parametrize("condition", [
    Condition("code_eq", ("code",), "eq", ""),
    Condition("code_in", ("code",), "in", ["a", ""]),
])
def test_compile_conditions_leaves_empty_string_operands_residual(condition):
    # Given a condition with an empty-string operand (parse refuses blank values; compile does not rely on it)
    # When compiled
    expression, residual = compile_conditions([condition])
    # Then it is residual: an empty string is not a value every DynamoDB accepts
    assert expression is None
    assert residual == [condition]


@pytest.mark.parametrize("raw", [
    {"metadata_jcont": {"tags": ["a"]}},
    {"metadata_jcont": {"n": None}},
    {"metadata_jcont": {"a": {"b": ""}}},
])
def test_compile_conditions_leaves_inexact_values_residual(raw):
    expression, residual = compile_raw(raw)
    assert expression is None
    assert len(residual) == 1


def test_compile_conditions_keeps_the_compilable_part_of_a_mixed_set():
    # Given a filter set with one pattern and one equality
    expression, residual = compile_raw({"code_cont": "a", "quantity_eq": "1"})
    # Then the equality is compiled and the pattern is residual
    assert expression is not None
    assert expression.names == {"#f0": "quantity"}
    assert [c.predicate for c in residual] == ["cont"]


def test_compile_conditions_guards_negations_against_absent_attributes():
    # Given a negated comparison, where DynamoDB's `<>` would be true on an absent attribute
    expression, _ = compile_raw({"code_not_eq": "x"})
    # Then the expression requires the attribute
    assert "attribute_exists(#f0)" in expression.text


def test_compile_conditions_chunks_long_in_lists():
    # Given 150 values for `in`
    values = [str(n) for n in range(150)]
    # When compiled
    expression, residual = compile_raw({"code_in": values})
    # Then no IN has more than 100 operands
    assert residual == []
    assert [len(chunk.split(",")) for chunk in re.findall(r"IN \(([^)]*)\)", expression.text)] == [100, 50]


def test_compile_conditions_leaves_what_exceeds_dynamodb_limits_residual():
    # Given an `in` list too long for one expression, and a short condition
    values = [f"value-{n}" for n in range(400)]
    # When compiled
    expression, residual = compile_raw({"code_in": values, "quantity_eq": "1"})
    # Then the long list is residual and the short condition still compiles
    assert [c.predicate for c in residual] == ["in"]
    assert expression is not None and len(expression.text) < 4000


def test_compile_conditions_sends_a_repeated_operand_once():
    expression, _ = compile_raw({"code_in": "a,b,a"})
    assert expression.text == "#f0 IN (:f0, :f1)"


def test_compile_conditions_returns_nothing_for_no_conditions():
    assert compile_conditions([]) == (None, [])


def test_compile_conditions_declares_one_placeholder_per_distinct_operand_of_a_long_list():
    # Given 200 codes, each given twice
    codes = [f"c{n}" for n in range(200)]
    # When compiled
    expression, residual = compile_raw({"code_in": ",".join(codes + codes)})
    # Then each code has one placeholder, in order, in two IN chunks
    assert residual == [] and list(expression.values.values()) == [{"S": c} for c in codes]
    assert expression.text.count(" IN (") == 2
