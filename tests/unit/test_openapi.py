"""The OpenAPI document: valid OpenAPI 3.1, in step with its YAML source, the catalog and app.py's routes."""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from openapi_spec_validator import validate

import app as service
from chalicelib import openapi
from chalicelib.catalog import cleanable_types, hosted_types

ROOT = Path(__file__).resolve().parents[2]
METHODS = ("get", "post", "patch", "delete", "put")


def load_builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_openapi", ROOT / "scripts" / "build_openapi.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def builder() -> ModuleType:
    return load_builder()


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return openapi.document()


def operations(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(path, method.upper()) for path, item in doc["paths"].items() for method in item if method in METHODS}


def test_openapi_json_is_what_the_build_script_writes(builder: ModuleType) -> None:
    # Given the YAML core and the catalog / When the script builds the document
    expected = builder.expected()

    # Then the committed chalicelib/openapi.json is exactly that (run scripts/build_openapi.py otherwise)
    assert (ROOT / "chalicelib" / "openapi.json").read_text() == expected, "run: python scripts/build_openapi.py"


def test_openapi_document_is_valid_openapi_3_1(doc: dict[str, Any]) -> None:
    # Given the served document / When openapi-spec-validator checks it / Then it raises nothing
    validate(doc)
    assert doc["openapi"].startswith("3.1")


def test_openapi_document_has_exactly_the_routes_of_app(doc: dict[str, Any], builder: ModuleType) -> None:
    # Given app.py's routes, `/api/{type_name}...` expanded for every hosted type (and its parents)
    types = hosted_types()
    expected = set()
    for path, entries in service.app.routes.items():
        for method in entries:
            if "{type_name}" not in path:
                expected.add((path, method))
            elif "{relationship}" in path:
                expected |= {(f"/api/{parent}/{{record_id}}/{name}", method)
                             for name, rtype in types.items() for parent in builder.parents_of(rtype, types)}
            else:
                expected |= {(path.replace("{type_name}", name), method) for name in types}

    # When the document's operations are listed / Then they are the same set
    assert operations(doc) == expected


def test_openapi_record_schemas_follow_the_catalog_flags(doc: dict[str, Any]) -> None:
    # Given the generated schemas of prices and skus
    schemas = doc["components"]["schemas"]
    create_price = schemas["PricesCreateDocument"]["properties"]["data"]["properties"]
    sku_attributes = schemas["SkusAttributes"]["properties"]

    # Then writability, requiredness and rendering follow resources.json
    assert "currency_code" not in create_price["attributes"]["properties"]  # comes from the price list
    assert create_price["attributes"]["required"] == ["amount_cents"]
    assert sorted(create_price["relationships"]["required"]) == ["price_list", "sku"]
    assert set(sku_attributes) == {name for name in hosted_types()["skus"].attributes if name != "id"}
    assert schemas["CleanableType"]["enum"] == cleanable_types()


def test_openapi_lists_document_pages_sorts_and_filters(doc: dict[str, Any]) -> None:
    # Given the list of skus
    parameters = doc["components"]["parameters"]
    listed = {p["$ref"].rsplit("/", 1)[1] for p in doc["paths"]["/api/skus"]["get"]["parameters"]}

    # Then it takes page[number], page[size] (at most 25), sort on sortable fields and filter[q][...] as a deepObject
    assert {"PageNumber", "PageSize", "SkusSort", "SkusFields", "SkusFilter"} == listed
    assert parameters["PageSize"]["schema"]["maximum"] == 25
    assert re.fullmatch(parameters["SkusSort"]["schema"]["pattern"], "-created_at,code")
    assert not re.fullmatch(parameters["SkusSort"]["schema"]["pattern"], "metadata")
    skus_filter = parameters["SkusFilter"]
    assert (skus_filter["name"], skus_filter["style"]) == ("filter[q]", "deepObject")
    patterns = [re.compile(p) for p in skus_filter["schema"]["patternProperties"]]
    assert any(p.fullmatch("code_not_start_any") for p in patterns)
    assert not any(p.fullmatch("metadata_start") for p in patterns)  # `start` is for strings only


def test_openapi_api_operations_document_jsonapi_errors(doc: dict[str, Any]) -> None:
    # Given every /api operation
    for path, method in operations(doc):
        if not path.startswith("/api/") or path == "/api/openapi.json":
            continue
        responses = doc["paths"][path][method.lower()]["responses"]

        # Then it documents 401 and 500 as JSON:API error documents, and 415/422 exactly when it takes a body
        assert {"401", "500"} <= set(responses), (method, path)
        takes_body = "requestBody" in doc["paths"][path][method.lower()]
        assert ("422" in responses) == takes_body and ("415" in responses) == takes_body, (method, path)
