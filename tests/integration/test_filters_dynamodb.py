"""Compiled filters on DynamoDB (moto) select exactly what the pure evaluator selects."""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from chalicelib.filters import PREDICATES, Condition, compile_conditions, matches, parse_filters

TABLE = "filters-test"
FIELDS = {"id": "string", "name": "string", "qty": "integer", "price": "float", "active": "boolean",
          "created_at": "datetime", "metadata": "object"}

NAMES = [None, "", "ab", "AB", "Ab", "abc", "b", "ba", "a%b", "a_b", "x"]
QUANTITIES = [None, -1, 0, 1, 2, 10]
PRICES = [None, -2.5, 0.0, 0.1, 1.0, 1.5, 10.25]
FLAGS = [None, True, False]
MOMENTS = [None, "2023-12-31T23:59:59.999Z", "2024-01-01T00:00:00.000Z", "2024-01-01T00:00:00.001Z",
           "2024-06-30T12:00:00.000Z"]
# Filter values as a client would send them: mostly text, some JSON scalars.
RAW_VALUES: dict[str, list[Any]] = {
    "string": ["ab", "AB", "a", "b", "abc", "x", "%", "a%", "_b", "a_b", 1],
    "integer": ["-1", "0", "1", "2", "10", 3],
    "float": ["-2.5", "0", "0.1", "1", "1.5", 10.25],
    "boolean": ["true", "false", "1", "0", True],
    "datetime": ["2024-01-01", "2024-01-01T00:00:00.001Z", "2024-06-30T14:00:00+02:00", "2023-12-31T23:59:59.999Z"],
}


@pytest.fixture(scope="module")
def dynamodb() -> Iterator[Any]:
    with pytest.MonkeyPatch.context() as env:
        for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
            env.delenv(name)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_SESSION_TOKEN", "testing")
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        with mock_aws():
            client = boto3.client("dynamodb", region_name="us-east-1")
            client.create_table(
                TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                      {"AttributeName": "sk", "AttributeType": "S"}],
            )
            yield client


def attribute_value(value: Any) -> dict:
    """How the records store writes a value (docs/DESIGN.md), independently of the compiler's own typing."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float):
        return {"N": repr(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, dict):
        return {"M": {k: attribute_value(v) for k, v in value.items()}}
    return {"L": [attribute_value(v) for v in value]}


def store(client: Any, records: list[dict]) -> str:
    """Write records into a fresh partition; a NULL top-level attribute is left absent."""
    pk = f"test#{uuid.uuid4()}"
    for start in range(0, len(records), 25):
        client.batch_write_item(RequestItems={TABLE: [
            {"PutRequest": {"Item": {"pk": {"S": pk}, "sk": {"S": r["id"]},
                                     **{k: attribute_value(v) for k, v in r.items() if v is not None}}}}
            for r in records[start:start + 25]]})
    return pk


def select_on_dynamodb(client: Any, pk: str, conditions: tuple[Condition, ...], records: list[dict]) -> set[str]:
    """What a caller does: Query with the compiled expression, then `matches` on the residual."""
    expression, residual = compile_conditions(conditions, prefix="f")
    params: dict[str, Any] = {"TableName": TABLE, "KeyConditionExpression": "#pk = :pk",
                              "ExpressionAttributeNames": {"#pk": "pk"},
                              "ExpressionAttributeValues": {":pk": {"S": pk}}}
    if expression is not None:
        params["FilterExpression"] = expression.text
        params["ExpressionAttributeNames"].update(expression.names)
        params["ExpressionAttributeValues"].update(expression.values)
    by_id = {r["id"]: r for r in records}
    found: set[str] = set()
    while True:
        page = client.query(**params)
        found |= {item["sk"]["S"] for item in page["Items"] if matches(residual, by_id[item["sk"]["S"]])}
        if "LastEvaluatedKey" not in page:
            return found
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def select_in_memory(conditions: tuple[Condition, ...], records: list[dict]) -> set[str]:
    return {r["id"] for r in records if matches(conditions, r)}


# --- every predicate family on a fixed data set ---------------------------------------------------

FIXED = [
    {"id": "r1", "name": "Ab", "qty": 1, "price": 1.5, "active": True, "created_at": "2024-01-01T00:00:00.000Z",
     "metadata": {"a": 1, "b": {"c": "x"}}},
    {"id": "r2", "name": "", "qty": 0, "price": 0.0, "active": False, "created_at": None, "metadata": {}},
    {"id": "r3"},
    {"id": "r4", "name": "abc", "qty": 10, "price": -2.5, "active": True,
     "created_at": "2024-06-30T12:00:00.000Z", "metadata": {"a": "1", "l": [1, 2]}},
    {"id": "r5", "name": "x", "qty": 2, "price": 0.1, "active": False, "created_at": "2023-12-31T23:59:59.999Z",
     "metadata": {"a": 1.0, "b": {"c": "X", "d": True}}},
]
ONE = {"string": "ab", "integer": "1", "float": "0.1", "boolean": "true", "datetime": "2024-01-01"}
MANY = {"string": "ab,x", "integer": "1,2", "float": "0.1,1.5", "boolean": "true,false",
        "datetime": "2024-01-01,2023-12-31T23:59:59.999Z"}
JCONT = [{"a": 1}, {"a": "1"}, {"b": {"c": "x"}}, {"b": {}}, {}, {"l": [2]}]


def family_cases() -> list[tuple[str, Any]]:
    cases: list[tuple[str, Any]] = []
    for name, predicate in sorted(PREDICATES.items()):
        for attribute, kind in FIELDS.items():
            if kind not in predicate.types or attribute == "id":
                continue
            if predicate.shape == "flag":
                cases += [(f"{attribute}_{name}", "true"), (f"{attribute}_{name}", "false")]
            elif predicate.shape == "object":
                cases += [(f"{attribute}_{name}", value) for value in JCONT]
            else:
                cases.append((f"{attribute}_{name}", (MANY if predicate.shape == "list" else ONE)[kind]))
    return cases


@pytest.fixture(scope="module")
def fixed_partition(dynamodb: Any) -> str:
    return store(dynamodb, FIXED)


@pytest.mark.parametrize("key, value", family_cases())
def test_compiled_filter_selects_on_dynamodb_what_matches_selects(dynamodb, fixed_partition, key, value):
    # Given the fixed records stored in one partition, and one filter
    conditions = parse_filters(FIELDS, {key: value}).conditions
    # When DynamoDB applies the compiled expression (and `matches` the residual)
    selected = select_on_dynamodb(dynamodb, fixed_partition, conditions, FIXED)
    # Then the selection equals the evaluator's
    assert selected == select_in_memory(conditions, FIXED)


def test_compiled_filters_cover_every_non_pattern_family(dynamodb, fixed_partition):
    # Given one filter of each predicate that is not a case-insensitive pattern
    names = sorted(n for n, p in PREDICATES.items() if p.test != "like")
    raw = {f"{'metadata' if n == 'jcont' else 'active' if n in ('true', 'false') else 'qty'}_{n}":
           ({"a": 1} if n == "jcont" else MANY["integer"] if PREDICATES[n].shape == "list" else "1")
           for n in names}
    # When they are compiled together
    expression, residual = compile_conditions(parse_filters(FIELDS, raw).conditions)
    # Then DynamoDB evaluates all of them, and runs the combined expression
    assert residual == []
    assert expression is not None
    conditions = parse_filters(FIELDS, raw).conditions
    assert select_on_dynamodb(dynamodb, fixed_partition, conditions, FIXED) == select_in_memory(conditions, FIXED)


# --- property: random records, random filters ------------------------------------------------------

leaves = st.sampled_from([1, 1.0, 1.5, "x", "X", "", True, False, None])
json_values = st.recursive(leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=2), st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=2)), max_leaves=4)
objects = st.dictionaries(st.sampled_from(["a", "b", "c"]), json_values, max_size=3)


@st.composite
def record_sets(draw: st.DrawFn) -> list[dict]:
    count = draw(st.integers(0, 10))
    return [{"id": f"r{n}", "name": draw(st.sampled_from(NAMES)), "qty": draw(st.sampled_from(QUANTITIES)),
             "price": draw(st.sampled_from(PRICES)), "active": draw(st.sampled_from(FLAGS)),
             "created_at": draw(st.sampled_from(MOMENTS)), "metadata": draw(st.none() | objects)}
            for n in range(count)]


@st.composite
def filter_keys(draw: st.DrawFn) -> tuple[str, Any]:
    predicate = PREDICATES[draw(st.sampled_from(sorted(PREDICATES)))]
    first = draw(st.sampled_from([a for a, kind in FIELDS.items() if kind in predicate.types]))
    kind = FIELDS[first]
    same_kind = [a for a, k in FIELDS.items() if k == kind and a != first]
    attributes = [first, *draw(st.lists(st.sampled_from(same_kind), max_size=1) if same_kind else st.just([]))]
    key = f"{'_or_'.join(attributes)}_{predicate.name}"
    if predicate.shape == "flag":
        return key, draw(st.sampled_from(["true", "false", "1", "0", True, False]))
    if predicate.shape == "object":
        return key, draw(objects)
    if predicate.shape == "list":
        items = draw(st.lists(st.sampled_from(RAW_VALUES[kind]), min_size=1, max_size=3))
        as_text = all(isinstance(i, str) and i and "," not in i for i in items) and draw(st.booleans())
        return key, ",".join(items) if as_text else items
    return key, draw(st.sampled_from(RAW_VALUES[kind]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=record_sets(), raw=st.lists(filter_keys(), min_size=1, max_size=2).map(dict))
def test_compiled_filters_select_on_dynamodb_what_matches_selects(dynamodb, records, raw):
    # Given random records in a fresh partition and random filters
    pk = store(dynamodb, records)
    conditions = parse_filters(FIELDS, raw).conditions
    # When DynamoDB applies the compiled part and `matches` the residual
    selected = select_on_dynamodb(dynamodb, pk, conditions, records)
    # Then exactly the records the evaluator selects are selected
    assert selected == select_in_memory(conditions, records)
