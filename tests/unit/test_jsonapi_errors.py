"""The one mapping from errors to JSON:API error documents."""
from __future__ import annotations

import json

import pytest

from chalicelib.config import SettingsError
from chalicelib.exceptions import RecordNotFoundError
from chalicelib.filters import FilterValueError, UnknownFilterError, parse_filters
from chalicelib.jsonapi.errors import error_response, framework_error


def only_error(response: object) -> dict:
    (entry,) = json.loads(response.body)["errors"]  # type: ignore[attr-defined]
    return entry  # type: ignore[no-any-return]


@pytest.mark.parametrize(("raw", "status", "code"), [
    ({"colour_eq": "red"}, 400, "FILTER_NOT_ALLOWED"),
    ({"quantity_gt": "many"}, 400, "BAD_REQUEST"),
])
def test_error_response_names_the_query_parameter_of_a_bad_list_filter(raw: dict, status: int, code: str) -> None:
    # Given a list's filter[q] that does not parse
    with pytest.raises((UnknownFilterError, FilterValueError)) as raised:
        parse_filters({"quantity": "integer"}, raw)
    # When it is answered
    response = error_response(raised.value, "req-1")
    # Then the status and code say what is wrong and the source names the parameter
    entry = only_error(response)
    assert response.status_code == status and entry["code"] == code
    assert entry["source"] == {"parameter": f"filter[q][{next(iter(raw))}]"}


def test_error_response_points_at_the_filters_attribute_of_a_bad_body_filter() -> None:
    # Given filters given in a request body that name an unknown attribute
    with pytest.raises(UnknownFilterError) as raised:
        parse_filters({"quantity": "integer"}, {"colour_eq": "red"}, in_body=True)
    # When it is answered
    response = error_response(raised.value)
    # Then it is a 422 pointing at the filters attribute
    entry = only_error(response)
    assert response.status_code == 422 and entry["code"] == "VALIDATION_ERROR"
    assert entry["source"] == {"pointer": "/data/attributes/filters"}
    assert entry["detail"].startswith("filters: colour_eq: ")


def test_error_response_keeps_a_service_errors_status_and_adds_the_request_id() -> None:
    # Given a service error
    # When it is answered
    response = error_response(RecordNotFoundError("no such sku"), "req-2")
    # Then its status, code and the request id are in the document and the headers
    entry = only_error(response)
    assert response.status_code == 404 and entry["code"] == "RECORD_NOT_FOUND"
    assert entry["meta"] == {"request_id": "req-2"} and response.headers["X-Request-Id"] == "req-2"


def test_error_response_hides_an_unexpected_error_and_logs_its_cause(caplog: pytest.LogCaptureFixture) -> None:
    # Given an unexpected error, here a bad setting
    try:
        raise SettingsError("BATCH_SIZE must be an integer >= 1, got 'abc'")
    except SettingsError as error:
        # When it is answered
        response = error_response(error, "req-3")
    # Then the client gets a 500 with the request id and no internals; the log names the variable
    entry = only_error(response)
    assert response.status_code == 500 and entry["code"] == "INTERNAL_SERVER_ERROR"
    assert entry["meta"] == {"request_id": "req-3"} and "BATCH_SIZE" not in response.body
    (logged,) = caplog.records
    assert logged.request_id == "req-3" and "BATCH_SIZE must be an integer >= 1" in logged.error


@pytest.mark.parametrize(("status", "code"), [(405, "METHOD_NOT_ALLOWED"), (415, "UNSUPPORTED_MEDIA_TYPE"),
                                              (400, "INTERNAL_SERVER_ERROR")])
def test_framework_error_keeps_chalices_status(status: int, code: str) -> None:
    # Given one of Chalice's own error responses
    # When it is translated
    error = framework_error(status, "from chalice")
    # Then it keeps the status, with our code where we have one
    assert error.status == status and error.code == code
