"""The record as the rest of the service sees it, and validation against the catalog.

Pure: no I/O. Validation collects every problem of a body into one
`ValidationError`, each with the JSON pointer of the offending member.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chalicelib.catalog import Attribute, ResourceType
from chalicelib.exceptions import ErrorDetail, ValidationError
from chalicelib.limits import MAX_KEY_BYTES, MAX_KEY_CHARS, fits_key
from chalicelib.numbers import json_fits
from chalicelib.records.items import CASE_FOLDED_INDEXES, item_relationships, item_values
from chalicelib.tenancy import iso, parse_iso
from chalicelib.text import fold

# Set by the store, never by a client, whatever the reference flags say.
SYSTEM_ATTRIBUTES = frozenset({"id", "created_at", "updated_at"})
TAKEN = "has already been taken"


@dataclass(frozen=True)
class Record:
    type: str
    id: str
    attributes: dict[str, Any]
    relationships: dict[str, str | None] = field(default_factory=dict)


def record_from_item(rtype: ResourceType, item: Mapping[str, Any]) -> Record:
    """Render a stored item: every catalog attribute present, missing ones as None."""
    values = item_values(item)
    attributes = {name: values.get(name) for name in rtype.attributes if name != "id"}
    return Record(type=rtype.name, id=item["sk"]["S"], attributes=attributes,
                  relationships=item_relationships(rtype, item))


class _Problems:
    """Collects error details; raises them together."""

    def __init__(self) -> None:
        self.details: list[ErrorDetail] = []

    def add(self, pointer: str, detail: str) -> None:
        self.details.append(ErrorDetail(ValidationError.title, detail, pointer=pointer))

    def raise_any(self) -> None:
        if self.details:
            raise ValidationError(self.details[0].detail, details=self.details)


def coerce(attribute: Attribute, value: Any) -> Any:
    """The value to store for `attribute`, or ValueError naming what was expected."""
    if value is None:
        return None
    if not json_fits(value):
        raise ValueError("holds a number out of the range DynamoDB stores (38 digits, 1E-130 to 9.9E125)")
    kind = attribute.type
    if kind == "string" and isinstance(value, str):
        if attribute.enum and value not in attribute.enum:
            raise ValueError(f"must be one of {', '.join(attribute.enum)}")
        return value
    if kind == "integer" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == "float" and isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return value
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind == "datetime" and isinstance(value, str):
        try:
            return iso(parse_iso(value))
        except ValueError:
            raise ValueError("must be an ISO 8601 date-time") from None
    if kind == "object" and isinstance(value, dict):
        return value
    if kind == "array" and isinstance(value, list):
        return value
    raise ValueError(f"must be {'an' if kind[0] in 'aeiou' else 'a'} {kind}")


def _key_attributes(rtype: ResourceType) -> set[str]:
    """Attributes whose value is also a key (a unique guard, a case-folded index): bound by DynamoDB's key size."""
    return {*CASE_FOLDED_INDEXES, *rtype.unique}


def _check_key(problems: _Problems, pointer: str, name: str, value: str) -> None:
    if len(value) > MAX_KEY_CHARS:
        problems.add(pointer, f"{name} is longer than {MAX_KEY_CHARS} characters")
    elif not fits_key(fold(value)):
        problems.add(pointer, f"{name} is longer than {MAX_KEY_BYTES} bytes of UTF-8 once case-folded")


def clean_attributes(rtype: ResourceType, raw: Mapping[str, Any], *, creating: bool,
                     current: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The accepted attributes of a create (creating) or update body."""
    problems = _Problems()
    clean: dict[str, Any] = {}
    for name, value in raw.items():
        pointer = f"/data/attributes/{name}"
        attribute = rtype.attributes.get(name)
        allowed = attribute is not None and name not in SYSTEM_ATTRIBUTES and (
            attribute.creatable if creating else attribute.updatable)
        if attribute is None or not allowed:
            problems.add(pointer, f"{name} is not {'a known' if attribute is None else 'a writable'} attribute")
            continue
        try:
            clean[name] = coerce(attribute, value)
        except ValueError as exc:
            problems.add(pointer, f"{name} {exc}")
            continue
        if name in _key_attributes(rtype) and isinstance(value, str):
            _check_key(problems, pointer, name, value)
    merged = {**(current or {}), **clean}
    for name, attribute in rtype.attributes.items():
        # Required attributes the client cannot write are the service's to fill.
        writable = attribute.creatable if creating else attribute.updatable
        blank = merged.get(name) in (None, "") and (creating or name in clean)
        if attribute.required and writable and name not in SYSTEM_ATTRIBUTES and blank:
            problems.add(f"/data/attributes/{name}", f"{name} can't be blank")
    problems.raise_any()
    return clean


def clean_relationships(rtype: ResourceType, raw: Mapping[str, Any], *,
                        creating: bool) -> dict[str, str | None]:
    """The accepted relationship ids of a create (creating) or update body."""
    problems = _Problems()
    clean: dict[str, str | None] = {}
    for name, value in raw.items():
        pointer = f"/data/relationships/{name}"
        relationship = rtype.relationships.get(name)
        if relationship is None:
            problems.add(pointer, f"{name} is not a known relationship")
        elif not (relationship.creatable if creating else relationship.updatable):
            problems.add(pointer, f"{name} is not a writable relationship")
        elif value is not None and not (isinstance(value, str) and value):
            problems.add(pointer, f"{name} must be a resource identifier")
        elif value is None and relationship.required:
            problems.add(pointer, f"{name} must exist")
        else:
            clean[name] = value
    if creating:
        for name, relationship in rtype.relationships.items():
            if relationship.required and name not in raw:
                problems.add(f"/data/relationships/{name}", f"{name} must exist")
    problems.raise_any()
    return clean


def missing_related(pointer_name: str) -> ValidationError:
    return ValidationError(f"{pointer_name} must exist", pointer=f"/data/relationships/{pointer_name}")


def taken(attribute: str) -> ValidationError:
    return ValidationError(f"{attribute} {TAKEN}", pointer=f"/data/attributes/{attribute}")


# Attributes a record takes from a related record, as Commerce Layer fills them.
INHERITED: dict[str, dict[str, tuple[str, str]]] = {
    "prices": {"currency_code": ("price_list", "currency_code")},
}


def derive(rtype: ResourceType, values: Mapping[str, Any],
           related: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """`values` with the read-only attributes the service computes: inherited values, `*_float`, `type`."""
    derived = dict(values)
    for name, (relationship, source) in INHERITED.get(rtype.name, {}).items():
        if relationship in related:
            derived[name] = related[relationship].get(source)
    for name in rtype.attributes:
        cents = f"{name.removesuffix('_float')}_cents"
        if name.endswith("_float") and cents in rtype.attributes:
            amount = derived.get(cents)
            derived[name] = None if amount is None else amount / 100
    kind = rtype.attributes.get("type")
    if kind is not None and kind.enum and rtype.name in kind.enum:
        derived["type"] = rtype.name
    return derived
