"""Parsing request documents from the raw body, with a JSON pointer on every error."""
from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from chalicelib.exceptions import BadRequestError, ConflictError, ErrorDetail, ValidationError
from chalicelib.jsonapi.body import load_json
from chalicelib.limits import MAX_KEY_CHARS, MAX_METADATA_BYTES, MAX_STRING_CHARS


@dataclass
class ParsedResource:
    type: str
    id: str | None
    attributes: dict[str, Any] = field(default_factory=dict)
    relationships: dict[str, str | None] = field(default_factory=dict)  # has_one name -> related id


def _load(raw_body: bytes | str | None) -> Any:
    if not raw_body:
        raise BadRequestError("The request body is empty", pointer="")
    return load_json(raw_body)


def _relationship(name: str, value: Any) -> str | None:
    pointer = f"/data/relationships/{name}"
    if not isinstance(value, dict) or "data" not in value:
        raise ValidationError("A relationship needs a data member", pointer=pointer)
    linkage = value["data"]
    if linkage is None:
        return None
    if not isinstance(linkage, dict) or not isinstance(linkage.get("id"), str):
        raise ValidationError("Relationship data must be {type, id} or null", pointer=f"{pointer}/data")
    if len(linkage["id"]) > MAX_KEY_CHARS:
        raise ValidationError(f"id is longer than {MAX_KEY_CHARS} characters", pointer=f"{pointer}/data/id")
    return linkage["id"]


def _refuse_unknown_relationships(relationships: dict[str, Any], known: Collection[str], type_name: str) -> None:
    # Ignoring one would act as if it were absent: a misspelled relationship must not widen what a request does.
    bad = [name for name in relationships if name not in known]
    if bad:
        raise ValidationError(details=[
            ErrorDetail(ValidationError.title, f"{name} is not a relationship {type_name} takes",
                        pointer=f"/data/relationships/{name}") for name in bad])


def _long_string(value: Any) -> bool:
    if isinstance(value, str):
        return len(value) > MAX_STRING_CHARS
    if isinstance(value, dict):
        return any(_long_string(k) or _long_string(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_long_string(v) for v in value)
    return False


def _check_sizes(attributes: dict[str, Any]) -> None:
    """String values and `metadata` within `chalicelib.limits`, so every stored item fits DynamoDB."""
    details = [ErrorDetail(ValidationError.title, f"{name} holds a string longer than {MAX_STRING_CHARS} characters",
                           pointer=f"/data/attributes/{name}")
               for name, value in attributes.items() if _long_string(value)]
    metadata = attributes.get("metadata")
    if isinstance(metadata, dict | list) and len(json.dumps(metadata).encode()) > MAX_METADATA_BYTES:
        details.append(ErrorDetail(ValidationError.title, f"metadata is larger than {MAX_METADATA_BYTES} bytes",
                                   pointer="/data/attributes/metadata"))
    if details:
        raise ValidationError(details=details)


def parse_resource(raw_body: bytes | str | None, expected_type: str, expected_id: str | None = None, *,
                   relationships: Collection[str] = ()) -> ParsedResource:
    """The `data` resource object of a create (no id) or update (id = the route's) document.

    `relationships` names those the body may carry (the resource's own); any other is a 422.
    """
    document = _load(raw_body)
    if not isinstance(document, dict) or not isinstance(document.get("data"), dict):
        raise BadRequestError("The document must have a data object", pointer="/data")
    data = document["data"]
    if data.get("type") != expected_type:
        raise ConflictError(f"type must be {expected_type!r}", pointer="/data/type")
    if expected_id is not None and data.get("id") != expected_id:
        raise ConflictError("id must match the URL", pointer="/data/id")
    attributes = data.get("attributes", {})
    if not isinstance(attributes, dict):
        raise ValidationError("attributes must be an object", pointer="/data/attributes")
    linkages = data.get("relationships", {})
    if not isinstance(linkages, dict):
        raise ValidationError("relationships must be an object", pointer="/data/relationships")
    _refuse_unknown_relationships(linkages, relationships, expected_type)
    _check_sizes(attributes)
    return ParsedResource(
        type=expected_type, id=data.get("id"), attributes=attributes,
        relationships={name: _relationship(name, value) for name, value in linkages.items()},
    )
