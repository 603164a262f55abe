"""Pure planning: which key reads answer filters, what a delete cascades to, list ordering."""
from __future__ import annotations

from typing import Any

from chalicelib.catalog import get_type
from chalicelib.filters import Condition, parse_filters
from chalicelib.records.cascade import plan_deletions, write_order
from chalicelib.records.items import build_item, record_key
from chalicelib.records.query_plan import plan
from chalicelib.records.sorting import sort_items
from chalicelib.tenancy import Tenant

TENANT = Tenant("org", "test")


def _conditions(type_name: str, raw: dict[str, Any]) -> list[Condition]:
    return list(parse_filters(get_type(type_name).filterable(), raw).conditions)


def _plan(type_name: str, raw: dict[str, Any]):
    return plan(TENANT, get_type(type_name), _conditions(type_name, raw))


def test_plan_gets_ids_for_id_eq_and_id_in():
    assert _plan("skus", {"id_in": "b,a,b"}).ids == ("a", "b")
    assert _plan("skus", {"id_eq": "a", "code_eq": "x"}).ids == ("a",)


def test_plan_turns_an_id_range_into_a_between_on_the_sort_key():
    (query,) = _plan("skus", {"id_gteq": "A", "id_lt": "M", "name_cont": "x"}).queries
    assert query.index is None and query.expression == "#pk = :pk AND #sk BETWEEN :lo AND :hi"
    assert query.values == {":pk": {"S": "org#test#skus"}, ":lo": {"S": "A"}, ":hi": {"S": "M"}}


def test_plan_reads_nothing_for_an_empty_id_range():
    assert _plan("skus", {"id_gt": "M", "id_lt": "A"}).empty


def test_plan_queries_the_relationship_index_once_per_related_id_within_the_id_range():
    queries = _plan("prices", {"sku_id_in": ["s1", "s2"], "id_start": "Q"}).queries
    slot = get_type("prices").relationships["sku"].index_slot
    assert [q.index for q in queries] == [f"rel{slot}"] * 2
    assert [q.values[":rel"]["S"] for q in queries] == ["org#test#prices#sku#s1", "org#test#prices#sku#s2"]
    assert all(q.expression.endswith("begins_with(#sk, :start)") for q in queries)


def test_plan_queries_the_case_folded_code_index_for_a_prefix():
    (query,) = _plan("skus", {"code_start": "ABC"}).queries
    assert query.index == "code" and query.values[":ci"] == {"S": "abc"}
    assert query.expression == "#pk = :pk AND begins_with(#ci, :ci)"


def test_plan_folds_code_operands_as_the_index_stores_them():
    # Given the reported codes ΑΣΒ-1 and ΑΣ-2, indexed as ασβ-1 and ασ-2
    # When a prefix ends in a capital or a final sigma, Then the key condition reads both (ασ, never ας)
    for prefix in ("ΑΣ", "ας"):
        (query,) = _plan("skus", {"code_start": prefix}).queries
        assert query.values[":ci"] == {"S": "ασ"}
    # And operands that fold alike are read once (on the `reference` index: a unique `code_in` reads guards)
    queries = _plan("skus", {"reference_in": ["Straße", "STRASSE", "x"]}).queries
    assert [q.values[":ci"]["S"] for q in queries] == ["strasse", "x"]


def test_plan_reads_the_unique_guards_of_a_code_in_once_per_folded_value():
    # Given a sku's code, unique by its fold, and a code_in naming some codes twice
    # When planned, for a list or for a page (ids in order)
    for by_id in (False, True):
        found = plan(TENANT, get_type("skus"), _conditions("skus", {"code_in": ["Straße", "STRASSE", "AB", "ab"]}),
                     by_id=by_id)
        # Then the reads are the guards of the folded values, once each, and no Query
        assert found.queries == () and found.ids is None
        assert found.guards == ({"pk": {"S": "org#test#skus#unique#code"}, "sk": {"S": "strasse"}},
                                {"pk": {"S": "org#test#skus#unique#code"}, "sk": {"S": "ab"}})


def test_plan_reads_guards_for_code_eq_with_other_predicates_left_to_the_records():
    # Given code_eq with a name pattern and an id range
    found = _plan("skus", {"code_eq": "A1", "name_cont": "x", "id_gt": "M"})
    # Then the guard is read, the other conditions apply to the records it names
    assert found.guards == ({"pk": {"S": "org#test#skus#unique#code"}, "sk": {"S": "a1"}},)


def test_plan_gets_ids_before_guards_and_reads_nothing_for_an_empty_code_in():
    assert _plan("skus", {"id_in": "b,a", "code_in": "x,y"}).ids == ("a", "b")
    assert plan(TENANT, get_type("skus"), [Condition("code_in", ("code",), "in", [])]).empty


def test_plan_queries_the_index_where_code_is_not_unique_or_an_operand_has_no_guard():
    # Given markets, whose code is not unique: one index Query per value
    queries = _plan("markets", {"code_in": ["A", "B"]}).queries
    assert [(q.index, q.values[":ci"]["S"]) for q in queries] == [("code", "a"), ("code", "b")]
    # And a sku code_in with an empty operand (parsing refuses one; no guard holds it): not the guards
    assert plan(TENANT, get_type("skus"), [Condition("code_in", ("code",), "in", ["A", ""])]).guards is None


def test_plan_reads_the_partition_for_an_operand_too_long_for_a_key_once_folded():
    # Given a code operand of 255 characters whose fold is over DynamoDB's 1,024-byte key limit
    (query,) = _plan("skus", {"code_eq": "\U0001d160" * 255}).queries
    # Then the index is not asked (DynamoDB would refuse the key condition): the partition is read
    assert query.index is None and query.expression == "#pk = :pk"


def test_plan_reads_the_type_partition_of_the_tenant_and_no_wider_otherwise():
    (query,) = _plan("skus", {"name_cont": "x", "code_end": "z"}).queries
    assert query.index is None and query.expression == "#pk = :pk"
    assert query.values == {":pk": {"S": "org#test#skus"}}


def _item(type_name: str, record_id: str, children: list[str] = (), **values: Any) -> dict[str, Any]:
    return build_item(TENANT, get_type(type_name), record_id, values, {}, children)


def test_plan_deletions_reads_only_children_that_cascade_or_hold_guards():
    # Given a sku with a price (with a tier) and a stock item
    sku = _item("skus", "S1", ["prices/P1", "stock_items/I1"], code="C1")
    stored = {"prices": {"P1": _item("prices", "P1", ["price_volume_tiers/T1"])}}
    fetched: list[tuple[str, list[str]]] = []

    def fetch(type_name: str, ids: list[str]) -> dict[str, Any]:
        fetched.append((type_name, list(ids)))
        return {i: stored[type_name][i] for i in ids if i in stored.get(type_name, {})}

    # When its deletion is planned
    deletion = plan_deletions(TENANT, "skus", {"S1": sku}, fetch)["S1"]
    # Then prices were read, stock items were not, and writes go deepest first then guards
    assert fetched == [("prices", ["P1"])]
    order = [sorted(k["pk"]["S"].split("#", 2)[2] + "/" + k["sk"]["S"] for k in keys)
             for keys in write_order([deletion])]
    assert order == [["price_volume_tiers/T1"], ["prices/P1", "stock_items/I1"], ["skus/S1"], ["skus#unique#code/c1"]]


def test_write_order_merges_levels_of_several_roots():
    a = plan_deletions(TENANT, "stock_items", {"A": _item("stock_items", "A")}, lambda t, i: {})
    b = plan_deletions(TENANT, "stock_items", {"B": _item("stock_items", "B")}, lambda t, i: {})
    assert list(write_order([a["A"], b["B"]])) == [[record_key(TENANT, "stock_items", "A"),
                                                    record_key(TENANT, "stock_items", "B")]]


def test_sort_items_orders_by_fields_with_nulls_last_ascending_and_ties_by_id():
    items = [_item("skus", i, name=n) for i, n in (("c", "x"), ("a", None), ("b", "x"), ("d", "a"))]
    ascending = [i["sk"]["S"] for i in sort_items(items, [("name", False)])]
    descending = [i["sk"]["S"] for i in sort_items(items, [("name", True)])]
    assert ascending == ["d", "b", "c", "a"] and descending == ["a", "b", "c", "d"]
