"""Which list queries are read by key: id order with no filter or one `status_eq`/`reference_eq`."""
from __future__ import annotations

import pytest

from chalicelib.catalog import service_type
from chalicelib.cleanups import Listing
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
    {"sort": "-created_at"}, {"sort": "id,status"}, {"filter[q][status_in]": "completed"},
    {"filter[q][status_eq]": "completed", "filter[q][reference_eq]": "r"}, {"filter[q][reference_cont]": "r"},
    {"filter[q][status_or_reference_eq]": "completed"},
])
def test_keyed_listing_leaves_other_sorts_and_filters_to_the_whole_list(params: dict[str, str]) -> None:
    # Given a sort or filter no key answers
    # When it is planned
    # Then it falls back to reading every cleanup
    assert planned(params) is None
