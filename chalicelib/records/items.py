"""How a record is laid out in the records table (docs/DESIGN.md, "Records table").

Pure: builds and reads low-level DynamoDB items (`{"S": ...}` attribute values).
`create_record`, `update_record` and the seeder all build items here, so a
seeded record is stored exactly as a created one.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from chalicelib.catalog import ResourceType, hosted_types
from chalicelib.tenancy import Tenant
from chalicelib.text import fold

Item = dict[str, Any]
Key = dict[str, Any]

CHILDREN = "children"
GUARD_MARK = "#unique#"
GUARD_HOLDER = "record_id"  # a guard's attribute naming the record holding its value
# Attributes whose case-folded copy (`<name>_ci`, chalicelib/text.py) is the range key of an index of the same name.
CASE_FOLDED_INDEXES = ("code", "reference")
INTERNAL = frozenset({"pk", "sk", "rel0", "rel1", "rel2", "rel3", "code_ci", "reference_ci", CHILDREN})


def partition(tenant: Tenant, type_name: str) -> str:
    return f"{tenant.key}#{type_name}"


def record_key(tenant: Tenant, type_name: str, record_id: str) -> Key:
    return {"pk": {"S": partition(tenant, type_name)}, "sk": {"S": record_id}}


def guard_key(tenant: Tenant, type_name: str, attribute: str, value: str) -> Key:
    return {"pk": {"S": f"{partition(tenant, type_name)}{GUARD_MARK}{attribute}"}, "sk": {"S": fold(value)}}


def is_guard_key(key: Mapping[str, Any]) -> bool:
    return GUARD_MARK in key["pk"]["S"]


def guard_attribute(key: Mapping[str, Any]) -> str:
    """The attribute a guard keeps unique: what follows the mark in its partition key."""
    return str(key["pk"]["S"]).rsplit(GUARD_MARK, 1)[1]


def rel_value(tenant: Tenant, type_name: str, relationship: str, related_id: str) -> str:
    return f"{partition(tenant, type_name)}#{relationship}#{related_id}"


def child_ref(type_name: str, record_id: str) -> str:
    return f"{type_name}/{record_id}"


def parse_child_ref(ref: str) -> tuple[str, str]:
    type_name, _, record_id = ref.partition("/")
    return type_name, record_id


def cascade_parents(type_name: str) -> dict[str, str]:
    """Relationship name -> parent type, for the parents whose delete cascades to `type_name`."""
    parents = {}
    for parent in hosted_types().values():
        for cascade in parent.cascades:
            if cascade.type == type_name:
                parents[cascade.relationship] = parent.name
    return parents


def to_attribute_value(value: Any) -> dict[str, Any]:
    """A JSON value as a DynamoDB attribute value (bool before int: bool is an int in Python)."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("numbers must be finite")
        return {"N": repr(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, Mapping):
        return {"M": {str(k): to_attribute_value(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [to_attribute_value(v) for v in value]}
    raise ValueError(f"unsupported value {type(value).__name__}")


def from_attribute_value(av: Mapping[str, Any]) -> Any:
    (tag, raw), = av.items()
    if tag == "N":
        return int(raw) if raw.lstrip("-").isdigit() else float(raw)
    if tag == "M":
        return {k: from_attribute_value(v) for k, v in raw.items()}
    if tag == "L":
        return [from_attribute_value(v) for v in raw]
    if tag == "NULL":
        return None
    if tag == "SS":
        return set(raw)
    return raw  # S, BOOL


def build_item(tenant: Tenant, rtype: ResourceType, record_id: str, values: Mapping[str, Any],
               relationships: Mapping[str, str | None], children: Iterable[str] = ()) -> Item:
    """The stored item of a record: attributes top-level, index keys derived from them."""
    item: Item = record_key(tenant, rtype.name, record_id)
    item["id"] = {"S": record_id}
    for name, value in values.items():
        if name != "id" and name in rtype.attributes and value is not None:
            item[name] = to_attribute_value(value)
    for name, related_id in relationships.items():
        relationship = rtype.relationships[name]
        if related_id is None:
            continue
        item[relationship.key] = {"S": related_id}
        if relationship.index_slot is not None:
            item[f"rel{relationship.index_slot}"] = {"S": rel_value(tenant, rtype.name, name, related_id)}
    for name in CASE_FOLDED_INDEXES:
        value = values.get(name)
        # Index key attributes may not be empty strings.
        if isinstance(value, str) and value:
            item[f"{name}_ci"] = {"S": fold(value)}
    refs = sorted(set(children))
    if refs:
        item[CHILDREN] = {"SS": refs}
    return item


def item_values(item: Mapping[str, Any]) -> dict[str, Any]:
    """The item's attributes as plain values, internal keys left out (what filters evaluate)."""
    return {name: from_attribute_value(av) for name, av in item.items() if name not in INTERNAL}


def item_relationships(rtype: ResourceType, item: Mapping[str, Any]) -> dict[str, str | None]:
    return {name: item.get(r.key, {}).get("S") for name, r in rtype.relationships.items()}


def item_children(item: Mapping[str, Any]) -> list[str]:
    return sorted(item.get(CHILDREN, {}).get("SS", []))


def item_guards(tenant: Tenant, rtype: ResourceType, item: Mapping[str, Any]) -> dict[str, Key]:
    """The unique guards a stored record holds, by attribute."""
    guards = {}
    for name in rtype.unique:
        value = item.get(name, {}).get("S")
        if value:
            guards[name] = guard_key(tenant, rtype.name, name, value)
    return guards
