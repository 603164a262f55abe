"""`assert_conforms`: does an HTTP response match the OpenAPI document the service serves?

Cheap enough to call after any request of any e2e test: the document is loaded once, each
response schema is compiled once (jsonschema, Draft 2020-12, `$ref`s resolved inside the document).

    response = requests.get(f"{api}/api/cleanups/{cid}", headers=...)
    body = assert_conforms("GET", "/api/cleanups/{cleanup_id}", response)
"""
from __future__ import annotations

import functools
import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from chalicelib.openapi import document

DOCUMENT_URI = "urn:cleanups:openapi"


@functools.cache
def _registry() -> Registry:
    return Registry().with_resource(DOCUMENT_URI, Resource(contents=document(), specification=DRAFT202012))


@functools.cache
def _validator(pointer: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"{DOCUMENT_URI}#{pointer}"}, registry=_registry())


@functools.cache
def _templates() -> list[tuple[re.Pattern[str], str]]:
    """Path templates as regexes, literal segments first so `/api/cleanups` beats `/api/{type}`-like paths."""
    compiled = []
    for template in document()["paths"]:
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        compiled.append((re.compile(f"^{pattern}$"), template))
    return sorted(compiled, key=lambda item: item[1].count("{"))


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def operation_template(path_template_or_url: str) -> str:
    """The document's path template for a template, a concrete path or a whole URL."""
    path = urlsplit(path_template_or_url).path if "://" in path_template_or_url else path_template_or_url
    paths = document()["paths"]
    if path in paths:
        return path
    for pattern, template in _templates():
        if pattern.match(path):
            return template
    raise AssertionError(f"{path} matches no path of the OpenAPI document")


def _resolve(pointer: str) -> tuple[str, dict[str, Any]]:
    """Follow `$ref`s from `pointer` (a JSON pointer into the document) to the object it names."""
    node: Any = document()
    for token in pointer.lstrip("/").split("/"):
        node = node[token.replace("~1", "/").replace("~0", "~")]
    if "$ref" in node:
        return _resolve(node["$ref"].removeprefix("#"))
    return pointer, node


def _check_complete(body: Any, sparse: bool) -> None:
    """Without `fields[...]`, a resource renders every attribute and relationship its `x-complete` schemas name."""
    if sparse or not isinstance(body, dict):
        return
    data = body.get("data")
    resources = [*(data if isinstance(data, list) else [data]), *body.get("included", [])]
    schemas = document()["components"]["schemas"]
    for resource in resources:
        if not isinstance(resource, dict) or "attributes" not in resource:
            continue  # resource identifiers (linkage documents)
        name = "".join(part.capitalize() for part in resource["type"].split("_"))
        members = {"attributes": schemas.get(f"{name}Attributes", {}),
                   "relationships": schemas.get(f"{name}Resource", {}).get("properties", {}).get("relationships", {})}
        for member, schema in members.items():
            if schema.get("x-complete"):
                missing = set(schema["properties"]) - set(resource[member])
                assert not missing, f"{resource['type']} {resource['id']} lacks {member} {sorted(missing)}"


def assert_conforms(method: str, path_template_or_url: str, response: requests.Response) -> Any:
    """Fail unless `response` is one the document declares for this operation; return its parsed body.

    Checks the status is documented, the media type is the declared one, the body validates against
    the declared schema (an empty body where none is declared), and that resources are complete
    (every attribute and relationship)
    unless the request asked for a sparse fieldset.
    """
    template = operation_template(path_template_or_url)
    verb = method.lower()
    operation_pointer = f"/paths/{_escape(template)}/{verb}"
    operation = document()["paths"][template].get(verb)
    assert operation is not None, f"{method.upper()} {template} is not in the OpenAPI document"
    status = str(response.status_code)
    where = f"{method.upper()} {response.request.url if response.request else template} -> {status}"
    assert status in operation["responses"], (
        f"{where}: undocumented status (documented: {sorted(operation['responses'])}); body: {response.text[:500]}")
    pointer, spec = _resolve(f"{operation_pointer}/responses/{status}")
    content = spec.get("content")
    if not content:
        assert not response.content, f"{where}: expected no body, got {response.text[:500]}"
        return None
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    assert media_type in content, f"{where}: Content-Type {media_type!r}, documented {sorted(content)}"
    try:
        body = response.json()
    except json.JSONDecodeError as exc:
        raise AssertionError(f"{where}: body is not JSON ({exc}): {response.text[:500]}") from None
    errors = sorted(_validator(f"{pointer}/content/{_escape(media_type)}/schema").iter_errors(body),
                    key=lambda e: list(e.absolute_path))
    assert not errors, f"{where}: body does not match the document:\n" + "\n".join(
        f"  at /{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in errors[:10])
    query = response.request.url if response.request and response.request.url else ""
    sparse = any(key.startswith("fields[") for key, _ in parse_qsl(urlsplit(query).query))
    _check_complete(body, sparse)
    return body
