"""The JSON:API core without I/O: media types, query parsing, documents, rendering."""
from __future__ import annotations

import pytest

from chalicelib.exceptions import (
    BadRequestError,
    ConflictError,
    NotAcceptableError,
    ParameterNotAllowedError,
    UnsupportedMediaTypeError,
    ValidationError,
)
from chalicelib.jsonapi import (
    Resource,
    check_media,
    parse_list_query,
    parse_resource,
    parse_show_query,
    render_list,
    render_one,
)
from chalicelib.jsonapi.errors import error_body


def test_media_accepts_jsonapi_content_type_on_bodiless_get() -> None:
    check_media({"content-type": "application/vnd.api+json"}, has_body=False)


def test_media_refuses_body_of_another_type_with_415() -> None:
    with pytest.raises(UnsupportedMediaTypeError):
        check_media({"content-type": "text/plain"}, has_body=True)


def test_media_refuses_accept_that_excludes_jsonapi_with_406() -> None:
    with pytest.raises(NotAcceptableError):
        check_media({"accept": "text/html"}, has_body=False)


def test_media_takes_accept_with_wildcards() -> None:
    check_media({"accept": "text/html, */*;q=0.1"}, has_body=False)


@pytest.mark.parametrize("content_type", [
    None, "application/vnd.api+json, text/plain", "text/plain, application/vnd.api+json", "application/json",
    "application/vnd.api+json; charset=utf-8; charset=latin1", "application/vnd.api+json;charset", "application/*",
])
def test_media_refuses_a_body_without_exactly_the_jsonapi_type_with_415(content_type: str | None) -> None:
    # Given a body whose Content-Type is missing, lists several types, or is not one JSON:API media type
    sent = {} if content_type is None else {"content-type": content_type}
    # When it is checked / Then it is a 415 on the header
    with pytest.raises(UnsupportedMediaTypeError) as refused:
        check_media(sent, has_body=True)
    assert refused.value.details[0].header == "Content-Type"


@pytest.mark.parametrize("content_type", [
    "application/vnd.api+json", "Application/VND.API+JSON", "application/vnd.api+json; charset=utf-8",
    "application/vnd.api+json;", ' application/vnd.api+json ; ext="https://a.example/x,y" ',
])
def test_media_takes_a_body_of_the_jsonapi_type_with_parameters(content_type: str) -> None:
    # Given a body of the one JSON:API type, any case, parameters or an empty one / When checked / Then it passes
    check_media({"content-type": content_type}, has_body=True)


def test_media_takes_a_bodiless_request_without_content_type() -> None:
    # Given a GET without a body nor Content-Type, as the CLI sends / When checked / Then it passes
    check_media({"accept": "application/vnd.api+json"}, has_body=False)


@pytest.mark.parametrize("accept", [
    "*/*;q=0", "application/vnd.api+json;q=0", "application/vnd.api+json;q=0, */*", "application/*;q=0, */*",
    "application/vnd.api+json;q=0, application/json", "application/json, */*;q=0", "*/*;Q=0.000",
    "application/vnd.api+json;q=1;q=0.5", "application/vnd.api+json;q=1.5", "application/vnd.api+json;q=abc",
    "application/vnd.api+json;q=0, application/vnd.api+json",
])
def test_media_refuses_accept_whose_weights_exclude_jsonapi_with_406(accept: str) -> None:
    # Given an Accept whose most specific range matching JSON:API has weight 0 (or none parses)
    # When it is checked / Then it is a 406 on the header
    with pytest.raises(NotAcceptableError) as refused:
        check_media({"accept": accept}, has_body=False)
    assert refused.value.details[0].header == "Accept"


@pytest.mark.parametrize("accept", [
    "application/vnd.api+json", "application/vnd.api+json;q=0.5", "*/*", "application/*;q=0.1",
    "application/json", "application/json;q=0, */*", "text/html;q=1, application/vnd.api+json;q=0.001",
    "*/*;q=0, application/vnd.api+json", "application/vnd.api+json; charset=utf-8", "text/plain;q=0, */*",
    "application/vnd.api+json;q=abc, */*;q=0.2", "application/json, application/vnd.api+json",
])
def test_media_takes_accept_that_weighs_jsonapi_above_zero(accept: str) -> None:
    # Given every Accept the SDK, the CLI, the dashboard and common HTTP clients send, and weighted ones
    # When it is checked / Then it passes
    check_media({"accept": accept}, has_body=False)


def test_list_query_parses_page_sort_fields_include_and_filters() -> None:
    query = parse_list_query(
        {"page[number]": "2", "page[size]": "5", "sort": "-created_at,id", "fields[cleanups]": "status,records_count",
         "include": "events", "filter[q][status_eq]": "pending"},
        sortable={"created_at", "id"}, includable={"events"}, fieldsets={"cleanups": {"status", "records_count"}},
    )
    assert (query.page_number, query.page_size) == (2, 5)
    assert query.sort == [("created_at", True), ("id", False)]
    assert query.fields == {"cleanups": ["status", "records_count"]}
    assert query.include == ["events"]
    assert query.filters == {"status_eq": "pending"}


@pytest.mark.parametrize("params", [{"page[size]": "26"}, {"page[size]": "0"}, {"page[number]": "x"}])
def test_list_query_refuses_bad_pages_with_400(params: dict[str, str]) -> None:
    with pytest.raises(BadRequestError) as raised:
        parse_list_query(params, sortable=set())
    assert raised.value.details[0].parameter in params


def test_list_query_refuses_unsortable_field() -> None:
    with pytest.raises(BadRequestError) as raised:
        parse_list_query({"sort": "metadata"}, sortable={"id"})
    assert raised.value.details[0].parameter == "sort"


def test_list_query_refuses_unknown_parameter() -> None:
    with pytest.raises(ParameterNotAllowedError):
        parse_list_query({"colour": "red"}, sortable=set())


@pytest.mark.parametrize("sort", ["--id", "+id", "-", "id,,created_at", "", ",id", "id,", " id", "-id-"])
def test_list_query_refuses_a_sort_of_unknown_form(sort: str) -> None:
    # Given a sort with a doubled or foreign prefix, an empty segment, or empty altogether
    # When the list query is parsed / Then it is a 400 on sort
    with pytest.raises(BadRequestError) as refused:
        parse_list_query({"sort": sort}, sortable={"id", "created_at"})
    assert type(refused.value) is BadRequestError and refused.value.details[0].parameter == "sort"


def test_list_query_reads_each_sort_field_with_at_most_one_minus() -> None:
    # Given a sort with one descending and one ascending field / When parsed / Then each is read in order
    query = parse_list_query({"sort": "-id,created_at"}, sortable={"id", "created_at"})
    assert query.sort == [("id", True), ("created_at", False)]


@pytest.mark.parametrize("fields", ["bogus", "status,bogus", "status,,records_count", ",status", "status,", "type"])
def test_list_query_refuses_a_field_the_type_does_not_have(fields: str) -> None:
    # Given a sparse fieldset naming something that is not a field of the type (or an empty name)
    # When the query is parsed / Then it is a 400 on that fields parameter
    with pytest.raises(BadRequestError) as refused:
        parse_list_query({"fields[cleanups]": fields}, sortable=set(),
                         fieldsets={"cleanups": {"status", "records_count"}})
    assert type(refused.value) is BadRequestError
    assert refused.value.details[0].parameter == "fields[cleanups]"


@pytest.mark.parametrize("name", ["fields[skus]", "fields[Cleanups]", "fields[cleanups][x]"])
def test_show_query_refuses_fields_of_a_type_the_route_does_not_render(name: str) -> None:
    # Given fields for a type the route does not answer / When parsed / Then it is a parameter not allowed
    with pytest.raises(ParameterNotAllowedError) as refused:
        parse_show_query({name: "code"}, fieldsets={"cleanups": {"status"}})
    assert refused.value.details[0].parameter == name


@pytest.mark.parametrize("fields, wanted", [
    ("status", ["status"]), ("status,records_count", ["status", "records_count"]), ("", []), ("id", ["id"]),
])
def test_show_query_reads_a_fieldset_of_known_fields_or_none(fields: str, wanted: list[str]) -> None:
    # Given a fieldset of the type's fields, `id`, or empty (no fields) / When parsed / Then it is read as given
    query = parse_show_query({"fields[cleanups]": fields}, fieldsets={"cleanups": {"status", "records_count"}})
    assert query.fields == {"cleanups": wanted}


def test_parse_resource_reads_attributes_and_relationships() -> None:
    body = '{"data": {"type": "prices", "attributes": {"amount_cents": 100}, "relationships": {"sku": {"data": {"type": "skus", "id": "abc"}}, "price_list": {"data": null}}}}'  # noqa: E501
    parsed = parse_resource(body, "prices", relationships=("sku", "price_list"))
    assert parsed.attributes == {"amount_cents": 100}
    assert parsed.relationships == {"sku": "abc", "price_list": None}


@pytest.mark.parametrize(
    ("body", "error", "pointer"),
    [
        ("not json", BadRequestError, ""),
        ('{"data": []}', BadRequestError, "/data"),
        ('{"data": {"type": "skus"}}', ConflictError, "/data/type"),
        ('{"data": {"type": "prices", "attributes": []}}', ValidationError, "/data/attributes"),
        ('{"data": {"type": "prices", "relationships": {"sku": {"data": 3}}}}', ValidationError,
         "/data/relationships/sku/data"),
    ],
)
def test_parse_resource_points_at_what_is_wrong(body: str, error: type, pointer: str) -> None:
    with pytest.raises(error) as raised:
        parse_resource(body, "prices", relationships=("sku",))
    assert raised.value.details[0].pointer == pointer


def test_parse_resource_refuses_id_that_does_not_match_route() -> None:
    with pytest.raises(ConflictError):
        parse_resource('{"data": {"type": "prices", "id": "other"}}', "prices", expected_id="mine")


def test_render_one_has_absolute_links_relationships_and_mode() -> None:
    resource = Resource("cleanups", "abc", {"status": "pending", "filters": {}}, mode="test", relationships=["events"])
    document = render_one(resource, "https://api.example")
    data = document["data"]
    assert data["links"]["self"] == "https://api.example/api/cleanups/abc"
    assert data["relationships"]["events"]["links"]["related"] == "https://api.example/api/cleanups/abc/events"
    assert data["meta"] == {"mode": "test"}


def test_render_list_paginates_with_meta_and_links() -> None:
    query = parse_list_query({"page[number]": "2", "page[size]": "2"}, sortable=set())
    items = [Resource("skus", str(i), {}, mode="live") for i in range(2)]
    document = render_list(items, total=5, base_url="http://h", path="/api/skus", query=query)
    assert document["meta"] == {"record_count": 5, "page_count": 3}
    assert set(document["links"]) == {"first", "prev", "next", "last"}
    assert "page%5Bnumber%5D=3" in document["links"]["next"]


def test_render_list_sparse_fieldsets_keep_only_named_attributes() -> None:
    query = parse_list_query({"fields[skus]": "code"}, sortable=set(), fieldsets={"skus": {"code", "name"}})
    skus = [Resource("skus", "1", {"code": "A", "name": "N"}, mode="test")]
    document = render_list(skus, 1, "http://h", "/api/skus", query)
    assert document["data"][0]["attributes"] == {"code": "A"}


def test_error_body_has_string_status_code_and_pointer() -> None:
    body = error_body(ValidationError("bad", pointer="/data/attributes/x"), request_id="r1")
    assert body == {"errors": [{"title": "Validation error", "detail": "bad", "code": "VALIDATION_ERROR",
                                "status": "422", "source": {"pointer": "/data/attributes/x"},
                                "meta": {"request_id": "r1"}}]}
