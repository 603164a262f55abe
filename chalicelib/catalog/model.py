"""Catalog value objects and the loader."""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

from chalicelib.exceptions import RecordNotFoundError

# Global secondary indexes `rel0`..`rel3` on the records table: each has_one
# relationship whose target is hosted here gets one, so `<rel>_id` filters are Queries.
INDEX_SLOTS = 4
# Attributes every record has, whatever the reference says.
COMMON = ("id", "created_at", "updated_at", "reference", "reference_origin", "metadata")


@dataclass(frozen=True)
class Attribute:
    name: str
    type: str  # string | integer | float | boolean | datetime | object | array
    required: bool = False
    creatable: bool = False
    updatable: bool = False
    filterable: bool = False
    sortable: bool = False
    enum: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Relationship:
    name: str
    target: str
    hosted: bool
    required: bool
    creatable: bool
    updatable: bool
    filterable: bool
    index_slot: int | None  # the `rel<N>` index answering `<name>_id` filters

    @property
    def key(self) -> str:
        """The attribute holding the related id, as filters name it."""
        return f"{self.name}_id"


@dataclass(frozen=True)
class Cascade:
    """Records of `type` whose `relationship` points at the deleted record go with it."""

    type: str
    relationship: str


@dataclass(frozen=True)
class ResourceType:
    name: str
    cleanable: bool
    attributes: dict[str, Attribute]
    relationships: dict[str, Relationship]
    cascades: tuple[Cascade, ...]
    unique: tuple[str, ...]

    def filterable(self) -> dict[str, str]:
        """Filterable attribute name -> type, relationship ids included."""
        fields = {a.name: a.type for a in self.attributes.values() if a.filterable}
        fields.update({r.key: "string" for r in self.relationships.values() if r.filterable})
        return fields

    def sortable(self) -> set[str]:
        return {a.name for a in self.attributes.values() if a.sortable}

    def fields(self) -> set[str]:
        """What a sparse fieldset (`fields[<type>]`) may name: attributes and relationships."""
        return set(self.attributes) | set(self.relationships)

    def relationship_by_key(self, key: str) -> Relationship | None:
        return next((r for r in self.relationships.values() if r.key == key), None)


def _attribute(name: str, spec: dict) -> Attribute:
    enum = spec.get("enum")
    return Attribute(
        name=name, type=spec["type"], required=spec.get("required", False),
        creatable=spec.get("creatable", False), updatable=spec.get("updatable", False),
        filterable=spec.get("filterable", False), sortable=spec.get("sortable", False),
        enum=tuple(enum) if enum else None,
    )


def _relationships(specs: dict, hosted: set[str]) -> dict[str, Relationship]:
    # Hosted targets take the index slots first: those are the ones clients filter by.
    ordered = sorted(specs.items(), key=lambda kv: (kv[1]["target"] not in hosted, kv[0]))
    out = {}
    for position, (name, spec) in enumerate(ordered):
        out[name] = Relationship(
            name=name, target=spec["target"], hosted=spec["target"] in hosted,
            required=spec["required"], creatable=spec["creatable"], updatable=spec["updatable"],
            filterable=spec["filterable"], index_slot=position if position < INDEX_SLOTS else None,
        )
    return out


@functools.cache
def _raw() -> dict:
    return json.loads((Path(__file__).parent / "resources.json").read_text())


@dataclass(frozen=True)
class ServiceType:
    """One of the service's own resources (cleanups, webhooks, ...): flags only, no storage layout."""

    name: str
    attributes: dict[str, Attribute]

    def filterable(self) -> dict[str, str]:
        return {a.name: a.type for a in self.attributes.values() if a.filterable}

    def sortable(self) -> set[str]:
        return {a.name for a in self.attributes.values() if a.sortable}

    def attribute_names(self) -> set[str]:
        """The type's attributes but its `_` triggers (written, never read): what sparse fieldsets may name."""
        return {name for name in self.attributes if not name.startswith("_")}

    def creatable(self) -> set[str]:
        return {a.name for a in self.attributes.values() if a.creatable}

    def updatable(self) -> set[str]:
        return {a.name for a in self.attributes.values() if a.updatable}


@functools.cache
def service_type(name: str) -> ServiceType:
    spec = _raw()["service"][name]
    return ServiceType(name, {n: _attribute(n, s) for n, s in spec["fields"].items()})


@functools.cache
def _load() -> dict[str, ResourceType]:
    raw = _raw()["types"]
    hosted = set(raw)
    types = {}
    for name, spec in raw.items():
        attributes = {n: _attribute(n, s) for n, s in spec["fields"].items() if not n.startswith("_")}
        for common in COMMON:
            attributes.setdefault(common, Attribute(common, "string", filterable=True, sortable=True))
        types[name] = ResourceType(
            name=name, cleanable=spec["cleanable"], attributes=attributes,
            relationships=_relationships(spec["relationships"], hosted),
            cascades=tuple(Cascade(c["type"], c["relationship"]) for c in spec["cascades"]),
            unique=tuple(spec["unique"]),
        )
    return types


def hosted_types() -> dict[str, ResourceType]:
    return _load()


def cleanable_types() -> list[str]:
    return sorted(name for name, t in _load().items() if t.cleanable)


def get_type(name: str) -> ResourceType:
    """The hosted type called `name`; an unknown collection is a 404, as for any unknown route."""
    try:
        return _load()[name]
    except KeyError:
        raise RecordNotFoundError(f"No resource type {name!r}", parameter="type") from None
