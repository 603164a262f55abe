"""Parsing request documents from the raw body, with a JSON pointer on every error."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from chalicelib.exceptions import BadRequestError, ConflictError, ValidationError


@dataclass
class ParsedResource:
    type: str
    id: str | None
    attributes: dict[str, Any] = field(default_factory=dict)
    relationships: dict[str, str | None] = field(default_factory=dict)  # has_one name -> related id


def _load(raw_body: bytes | str | None) -> Any:
    if not raw_body:
        raise BadRequestError("The request body is empty", pointer="")
    try:
        return json.loads(raw_body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequestError(f"The request body is not valid JSON: {exc}", pointer="") from None


def _relationship(name: str, value: Any) -> str | None:
    pointer = f"/data/relationships/{name}"
    if not isinstance(value, dict) or "data" not in value:
        raise ValidationError("A relationship needs a data member", pointer=pointer)
    linkage = value["data"]
    if linkage is None:
        return None
    if not isinstance(linkage, dict) or not isinstance(linkage.get("id"), str):
        raise ValidationError("Relationship data must be {type, id} or null", pointer=f"{pointer}/data")
    return linkage["id"]


def parse_resource(raw_body: bytes | str | None, expected_type: str, expected_id: str | None = None) -> ParsedResource:
    """The `data` resource object of a create (no id) or update (id = the route's) document."""
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
    relationships = data.get("relationships", {})
    if not isinstance(relationships, dict):
        raise ValidationError("relationships must be an object", pointer="/data/relationships")
    return ParsedResource(
        type=expected_type, id=data.get("id"), attributes=attributes,
        relationships={name: _relationship(name, value) for name, value in relationships.items()},
    )
