"""Listing and selecting records by filters against moto: same answers, narrow reads."""
from __future__ import annotations

from typing import Any

import pytest

from chalicelib.catalog import get_type
from chalicelib.filters import Condition, parse_filters
from chalicelib.records import SelectionStats
from tests.integration.records_api import list_records, select_ids, update_record
from tools.seed import seed


def _conditions(type_name: str, raw: dict[str, Any]) -> list[Condition]:
    return list(parse_filters(get_type(type_name).filterable(), raw).conditions)


def _all_ids(tenant, type_name: str, raw: dict[str, Any]) -> list[str]:
    found, total = list_records(tenant, type_name, _conditions(type_name, raw), [("id", False)], 1, 10_000)
    assert total == len(found)
    return [r.id for r in found]


@pytest.fixture
def seeded(tables, tenant):
    """60 skus, each with a price (and tier), a stock item and a sku list item; 20 skus a list."""
    return seed(tenant, skus=60, skus_per_list=20, workers=2)


def test_list_records_pages_by_id_one_at_a_time_like_the_cli_probe(seeded, tenant):
    # Given 60 skus in id order
    ids = _all_ids(tenant, "skus", {})
    assert len(ids) == 60 and ids == sorted(ids)
    # When pages of size 1 are asked for at chunk boundaries
    for number in (1, 17, 60):
        page, total = list_records(tenant, "skus", [], [("id", False)], number, 1)
        # Then each holds the record at that position, and the count is the total
        assert [r.id for r in page] == [ids[number - 1]] and total == 60
    assert list_records(tenant, "skus", [], [("id", False)], 61, 1) == ([], 60)


def test_list_records_sorts_descending_with_nulls_first_and_ties_by_id(records, tenant):
    # Given skus, two of them with a description
    skus = [records.sku(description=d) for d in ("b", None, "a", None)]
    # When listed by -description
    page, total = list_records(tenant, "skus", [], [("description", True)], 1, 10)
    # Then nulls come first (ties by id), then b, then a
    nulls = sorted(s.id for s in skus if s.attributes["description"] is None)
    assert [r.id for r in page] == [*nulls, skus[0].id, skus[2].id] and total == 4


def test_list_records_filters_by_attribute_relationship_and_metadata(records, tenant):
    # Given skus with stock items of various quantities and metadata
    skus = [records.sku(metadata={"batch": n % 2}) for n in range(4)]
    for n, sku in enumerate(skus):
        records.stock_item(sku.id, quantity=n * 10)
    # When filtered
    odd = _all_ids(tenant, "skus", {"metadata_jcont": {"batch": 1}})
    many = _all_ids(tenant, "stock_items", {"quantity_gteq": 20})
    of_first = _all_ids(tenant, "stock_items", {"sku_id_eq": skus[0].id})
    # Then only the matching records come back
    assert odd == sorted([skus[1].id, skus[3].id])
    assert len(many) == 2 and len(of_first) == 1


@pytest.mark.parametrize("raw", [
    {},
    {"code_start": "seed"},
    {"name_cont": "sku 1"},
    {"reference_eq": "nothing"},
    {"created_at_gt": "2000-01-01T00:00:00Z", "name_not_eq": "Seed sku 3"},
])
def test_select_ids_equals_the_listed_ids_for_the_same_filters(seeded, tenant, raw):
    # Given seeded skus; when the same filters select and list
    selected = select_ids(tenant, "skus", _conditions("skus", raw))
    # Then both give the same ids in id order
    assert selected == _all_ids(tenant, "skus", raw)


def _assert_narrow(stats: SelectionStats, matched: int) -> None:
    assert matched > 0
    assert stats.scanned <= 1.1 * matched + 2  # a BETWEEN reads at most its two bounds besides


def test_select_ids_reads_only_the_id_range(seeded, tenant):
    # Given 60 skus; when a range of 20 ids is selected as the CLI chunks it
    ids = _all_ids(tenant, "skus", {})
    stats = SelectionStats()
    chunk = select_ids(tenant, "skus", _conditions("skus", {"id_gteq": ids[10], "id_lt": ids[30]}), stats=stats)
    # Then exactly those ids come back, and about as many items were read
    assert chunk == ids[10:30]
    _assert_narrow(stats, len(chunk))


def test_select_ids_reads_only_the_relationship_index(seeded, tenant):
    # Given 60 stock items under one location and 60 prices of different skus
    sku_ids = _all_ids(tenant, "skus", {})
    stats = SelectionStats()
    # When the prices of three skus are selected
    prices = select_ids(tenant, "prices", _conditions("prices", {"sku_id_in": sku_ids[:3]}), stats=stats)
    # Then three prices come back after reading about three items
    assert len(prices) == 3
    _assert_narrow(stats, len(prices))


def test_select_ids_reads_only_the_code_prefix(seeded, tenant):
    # Given 60 skus coded SEED-<tag>-0000000..59; when the codes 0000001x are selected, in lower case
    prefix = f"seed-{seeded.tag}-000001"
    stats = SelectionStats()
    chosen = select_ids(tenant, "skus", _conditions("skus", {"code_start": prefix}), stats=stats)
    # Then ten come back after reading about ten items
    assert len(chosen) == 10
    _assert_narrow(stats, len(chosen))


def test_select_ids_stops_reading_past_the_limit(seeded, tenant):
    # Given 60 skus; when at most 5 are wanted
    stats = SelectionStats()
    chosen = select_ids(tenant, "skus", [], limit=5, stats=stats)
    # Then it stops at the sixth
    assert len(chosen) == 6 and stats.scanned == 6


def test_select_ids_sees_updates_of_indexed_attributes(records, tenant):
    # Given a sku whose code changes from AAA to BBB
    sku = records.sku("AAA")
    update_record(tenant, "skus", sku.id, {"code": "BBB"}, {})
    # When selected by either code, then only the new one finds it
    assert select_ids(tenant, "skus", _conditions("skus", {"code_eq": "AAA"})) == []
    assert select_ids(tenant, "skus", _conditions("skus", {"code_eq": "BBB"})) == [sku.id]
