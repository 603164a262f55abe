"""Which list queries are read by key: no filter or one `status_eq`/`reference_eq`, in id order or in
`created_at` order either way."""
from __future__ import annotations

import pytest

from chalicelib.catalog import service_type
from chalicelib.cleanups import CREATED_AT, Listing
from chalicelib.jsonapi import parse_list_query
from chalicelib.views.cleanups import keyed_listing

FILTERABLE = service_type("cleanups").filterable()
SORTABLE = service_type("cleanups").sortable()


def planned(params: dict[str, str]) -> Listing | None:
    return keyed_listing(parse_list_query(params, sortable=SORTABLE), FILTERABLE)


@pytest.mark.parametrize(("params", "listing"), [
    ({}, Listing(offset=0, limit=10)),
    ({"page[number]": "3", "page[size]": "5", "sort": "-id"}, Listing(offset=10, limit=5, descending=True)),
    ({"sort": "id", "filter[q][status_eq]": "completed"}, Listing(offset=0, limit=10, status="completed")),
    ({"filter[q][reference_eq]": "r-1"}, Listing(offset=0, limit=10, reference="r-1")),
])
def test_keyed_listing_reads_by_key_the_default_sort_and_the_common_filters(
        params: dict[str, str], listing: Listing) -> None:
    # Given a list query in id order with at most one keyed filter
    # When it is planned
    # Then the store reads it by key
    assert planned(params) == listing


@pytest.mark.parametrize("params", [
    {"sort": "id,status"}, {"sort": "-created_at,-id"}, {"sort": "created_at,status"}, {"sort": "id,created_at"},
    {"sort": "-created_at", "filter[q][status_in]": "completed"}, {"filter[q][status_in]": "completed"},
    {"filter[q][status_eq]": "completed", "filter[q][reference_eq]": "r"}, {"filter[q][reference_cont]": "r"},
    {"filter[q][status_or_reference_eq]": "completed"},
])
def test_keyed_listing_leaves_other_sorts_and_filters_to_the_whole_list(params: dict[str, str]) -> None:
    # Given a sort or filter no key answers
    # When it is planned
    # Then it falls back to reading every cleanup
    assert planned(params) is None


@pytest.mark.parametrize(("params", "listing"), [
    ({"sort": "-created_at"}, Listing(offset=0, limit=10, descending=True, by=CREATED_AT)),
    ({"sort": "created_at", "page[number]": "3", "page[size]": "25"}, Listing(offset=50, limit=25, by=CREATED_AT)),
    ({"sort": "-created_at,id"}, Listing(offset=0, limit=10, descending=True, by=CREATED_AT)),
    ({"sort": "created_at,id", "page[size]": "5"}, Listing(offset=0, limit=5, by=CREATED_AT)),
    ({"sort": "-created_at", "filter[q][status_eq]": "completed"},
     Listing(offset=0, limit=10, descending=True, by=CREATED_AT, status="completed")),
    ({"sort": "created_at", "filter[q][reference_eq]": "r-1"},
     Listing(offset=0, limit=10, by=CREATED_AT, reference="r-1")),
])
def test_keyed_listing_reads_created_at_order_by_key_either_way_with_ties_in_id_order(
        params: dict[str, str], listing: Listing) -> None:
    # Given a list query sorted by created_at, newest or oldest first, ties by id said or not, at most one keyed filter
    # When it is planned
    # Then the store reads it from the created_at index
    assert planned(params) == listing


def test_a_listing_by_what_no_index_keeps_is_refused() -> None:
    # Given a listing by an attribute no index orders
    # When it is made
    # Then it is refused: the store would answer it wrongly
    with pytest.raises(ValueError, match="no key lists cleanups by status"):
        Listing(offset=0, limit=10, by="status")
