"""Build the served OpenAPI document `chalicelib/openapi.json` from `docs/openapi.yaml` and the catalog.

Run from the repository root: `python scripts/build_openapi.py` (writes the JSON) or
`python scripts/build_openapi.py --check` (exit 1 when the committed JSON is stale).

The YAML is the hand-written core (auth, cleanups, events, webhooks, errors). This script adds what
follows from `chalicelib/catalog/resources.json`, so no part of the document is written once per type:
- for every hosted record type: its paths, attribute/relationship schemas and request documents;
- for every operation marked `x-collection: <type>`: the list parameters of that type;
- for every type: `<Name>Resource`, `<Name>Document`, `<Name>ListDocument`, `<Name>LinkageDocument`,
  `<Name>Fields`, `<Name>Sort` and `<Name>Filter` (the `filter[q][...]` parameters).
Relationships are fields: a sparse fieldset leaves attributes and relationships out, so neither lists
`required` names; `x-complete` marks the schemas whose every property is rendered without `fields[...]`
(tests/e2e/openapi_check.py checks that).
"""
from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: the catalog is the app's own package

from chalicelib.catalog import Attribute, ResourceType, cleanable_types, hosted_types, service_type  # noqa: E402
from chalicelib.filters.predicates import PREDICATES  # noqa: E402

SOURCE = ROOT / "docs" / "openapi.yaml"
TARGET = ROOT / "chalicelib" / "openapi.json"
JSONAPI = "application/vnd.api+json"
Schema = dict[str, Any]

# The predicates documented as parameters per attribute type; every other predicate works too (info.description).
DOCUMENTED_PREDICATES = {
    "string": ("eq", "not_eq", "in", "not_in", "start", "end", "cont", "matches", "null", "present"),
    "integer": ("eq", "not_eq", "in", "gt", "gteq", "lt", "lteq", "null"),
    "float": ("eq", "not_eq", "in", "gt", "gteq", "lt", "lteq", "null"),
    "datetime": ("eq", "gt", "gteq", "lt", "lteq", "null"),
    "boolean": ("eq", "true", "false", "null"),
    "object": ("jcont", "null"),
    "array": ("null", "present"),
}
# Error responses each kind of operation can answer (status -> component name).
ERRORS = {"400": "BadRequest", "401": "Unauthorized", "404": "NotFound", "406": "NotAcceptable", "409": "Conflict",
          "415": "UnsupportedMediaType", "422": "UnprocessableEntity", "429": "TooManyRequests",
          "500": "InternalError"}
LIST_ERRORS = ("400", "401", "406", "429", "500")
RELATED_LIST_ERRORS = ("400", "401", "404", "406", "429", "500")
SHOW_ERRORS = ("401", "404", "406", "429", "500")
WRITE_ERRORS = ("400", "401", "406", "409", "415", "422", "429", "500")
UPDATE_ERRORS = ("400", "401", "404", "406", "409", "415", "422", "429", "500")
DELETE_ERRORS = ("401", "404", "406", "429", "500")


def camel(type_name: str) -> str:
    return "".join(part.capitalize() for part in type_name.split("_"))


def ref(kind: str, name: str) -> Schema:
    return {"$ref": f"#/components/{kind}/{name}"}


def nullable(schema: Schema) -> Schema:
    if "$ref" in schema:
        return {"oneOf": [schema, {"type": "null"}]}
    out = dict(schema)
    out["type"] = [schema["type"], "null"]
    if "enum" in out:
        out["enum"] = [*out["enum"], None]
    return out


def value_schema(attribute: Attribute, *, response: bool) -> Schema:
    """The JSON Schema of an attribute's value, as rendered (response) or as a client writes it."""
    kind = attribute.type
    if kind == "datetime":
        return ref("schemas", "Timestamp") if response else {"type": "string", "format": "date-time"}
    schema: Schema = {"type": {"float": "number", "datetime": "string"}.get(kind, kind)}
    if attribute.enum:
        schema["enum"] = list(attribute.enum)
    return schema


# --- record types ------------------------------------------------------------------------------------------------

def record_attributes(rtype: ResourceType) -> Schema:
    """Every catalog attribute is rendered; only required ones a client must write are never null."""
    properties = {}
    for name, attribute in sorted(rtype.attributes.items()):
        if name == "id":
            continue
        schema = value_schema(attribute, response=True)
        never_null = name in ("created_at", "updated_at") or (attribute.required and attribute.creatable)
        properties[name] = schema if never_null else nullable(schema)
    return {"type": "object", "additionalProperties": False, "properties": properties,
            "x-complete": True}


def record_relationships(rtype: ResourceType) -> Schema:
    properties = {}
    for name, relationship in sorted(rtype.relationships.items()):
        properties[name] = {
            "type": "object", "required": ["links", "data"], "additionalProperties": False,
            "properties": {"links": ref("schemas", "RelationshipLinks"),
                           "data": nullable(identifier(relationship.target))},
        }
    return {"type": "object", "additionalProperties": False, "properties": properties, "x-complete": True}


def identifier(type_name: str) -> Schema:
    return {"type": "object", "required": ["type", "id"], "additionalProperties": False,
            "properties": {"type": {"const": type_name}, "id": {"type": "string", "minLength": 1}}}


def writable_attributes(rtype: ResourceType, *, creating: bool) -> Schema:
    properties, required = {}, []
    for name, attribute in sorted(rtype.attributes.items()):
        allowed = attribute.creatable if creating else attribute.updatable
        if not allowed or name in ("id", "created_at", "updated_at"):
            continue
        schema = value_schema(attribute, response=False)
        if attribute.required:
            # Neither null nor "" passes "can't be blank".
            properties[name] = {**schema, "minLength": 1} if schema["type"] == "string" else schema
            if creating:
                required.append(name)
        else:
            properties[name] = nullable(schema)
    return {"type": "object", "required": required, "additionalProperties": False, "properties": properties}


def writable_relationships(rtype: ResourceType, *, creating: bool) -> Schema:
    properties, required = {}, []
    for name, relationship in sorted(rtype.relationships.items()):
        if not (relationship.creatable if creating else relationship.updatable):
            continue
        linkage = identifier(relationship.target)
        linkage["properties"]["id"] = ref("schemas", "Id") if relationship.hosted else {"type": "string",
                                                                                         "minLength": 1}
        data = linkage if relationship.required else nullable(linkage)
        properties[name] = {"type": "object", "required": ["data"], "properties": {"data": data}}
        if creating and relationship.required:
            required.append(name)
    return {"type": "object", "required": required, "additionalProperties": False, "properties": properties}


def request_document(rtype: ResourceType, *, creating: bool) -> Schema:
    attributes = writable_attributes(rtype, creating=creating)
    relationships = writable_relationships(rtype, creating=creating)
    data: Schema = {"type": "object", "required": ["type"],
                    "properties": {"type": {"const": rtype.name}, "attributes": attributes,
                                   "relationships": relationships}}
    if not creating:
        data["required"].append("id")
        data["properties"]["id"] = ref("schemas", "Id")
    for member, schema in (("attributes", attributes), ("relationships", relationships)):
        if schema["required"]:
            data["required"].append(member)
    return {"type": "object", "required": ["data"], "properties": {"data": data}}


def parents_of(child: ResourceType, types: dict[str, ResourceType]) -> list[str]:
    """Hosted types `P` for which `/api/P/{id}/<child>` lists the child's records (`related_list`)."""
    return sorted({r.target for r in child.relationships.values() if r.hosted and r.target in types})


# --- parameters --------------------------------------------------------------------------------------------------

def filter_value_schema(kind: str, predicate_name: str) -> Schema:
    predicate = PREDICATES[predicate_name]
    if predicate.shape == "flag":
        return {"type": "boolean"}
    if predicate.shape == "object":
        return {"type": "string", "description": "A JSON object.", "contentMediaType": "application/json"}
    if predicate.shape == "list":
        return {"type": "string", "description": f"Comma-separated {kind} values."}
    scalar = {"integer": {"type": "integer"}, "float": {"type": "number"}, "boolean": {"type": "boolean"},
              "datetime": {"type": "string", "format": "date-time"}}
    return scalar.get(kind, {"type": "string"})


def filter_parameter(type_name: str, filterable: dict[str, str]) -> Schema:
    """`filter[q][<attribute>_<predicate>]` as one deepObject parameter named `filter[q]`.

    `properties` type the common predicates; `patternProperties` admit every predicate that applies
    to each attribute's type, so an undocumented key is one the service answers 400 FILTER_NOT_ALLOWED.
    """
    properties: dict[str, Schema] = {}
    by_kind: dict[str, list[str]] = {}
    for key, kind in sorted(filterable.items()):
        by_kind.setdefault(kind, []).append(key)
        for predicate in DOCUMENTED_PREDICATES[kind]:
            if kind in PREDICATES[predicate].types:
                properties[f"{key}_{predicate}"] = filter_value_schema(kind, predicate)
    patterns = {}
    for kind, keys in sorted(by_kind.items()):
        predicates = sorted((p.name for p in PREDICATES.values() if kind in p.types), key=lambda n: (-len(n), n))
        patterns[f"^({'|'.join(keys)})_({'|'.join(predicates)})$"] = {"type": ["string", "number", "boolean"]}
    return {
        "name": "filter[q]", "in": "query", "required": False, "style": "deepObject", "explode": True,
        "description": f"Filters on {type_name}: `filter[q][<attribute>_<predicate>]=<value>`, ANDed.",
        "schema": {"type": "object", "additionalProperties": False, "properties": properties,
                   "patternProperties": patterns},
    }


def list_parameters(type_name: str, filterable: dict[str, str], sortable: set[str],
                    parameters: dict[str, Schema]) -> list[Schema]:
    """Adds the type's list parameters to `parameters` (once) and returns the references to them."""
    name = camel(type_name)
    if f"{name}Sort" not in parameters:
        names = "|".join(sorted(sortable))
        parameters[f"{name}Sort"] = {
            "name": "sort", "in": "query", "required": False,
            "description": "Comma-separated sortable fields, each descending when prefixed by `-`.",
            "schema": {"type": "string", "pattern": f"^-?({names})(,-?({names}))*$"},
        }
        parameters[f"{name}Filter"] = filter_parameter(type_name, filterable)
    return [ref("parameters", "PageNumber"), ref("parameters", "PageSize"), ref("parameters", f"{name}Sort"),
            ref("parameters", f"{name}Fields"), ref("parameters", f"{name}Filter")]


def fields_parameter(type_name: str) -> Schema:
    return {"name": f"fields[{type_name}]", "in": "query", "required": False,
            "description": "Sparse fieldset: only these attributes and relationships are rendered.",
            "schema": ref("schemas", "FieldList")}


# --- documents ---------------------------------------------------------------------------------------------------

def relationships_schema(spec: dict[str, dict[str, str]]) -> Schema:
    properties = {}
    for name, relationship in sorted(spec.items()):
        entry: Schema = {"type": "object", "required": ["links"], "additionalProperties": False,
                         "properties": {"links": ref("schemas", "RelationshipLinks")}}
        linkage = identifier(relationship["target"])
        if relationship.get("nullable"):
            linkage = nullable(linkage)
        if relationship["data"] != "never":
            many = relationship["to"] == "many"
            entry["properties"]["data"] = {"type": "array", "items": linkage} if many else linkage
        if relationship["data"] == "always":
            entry["required"].append("data")
        properties[name] = entry
    return {"type": "object", "additionalProperties": False, "properties": properties, "x-complete": True}


def document_schemas(type_name: str, relationships: Schema, included: list[str]) -> dict[str, Schema]:
    name = camel(type_name)
    resource = {
        "type": "object", "required": ["id", "type", "links", "attributes", "relationships", "meta"],
        "additionalProperties": False,
        "properties": {"id": {"type": "string", "minLength": 1}, "type": {"const": type_name},
                       "links": ref("schemas", "SelfLinks"), "attributes": ref("schemas", f"{name}Attributes"),
                       "relationships": relationships, "meta": ref("schemas", "ResourceMeta")},
    }
    document: Schema = {"type": "object", "required": ["data"], "additionalProperties": False,
                        "properties": {"data": ref("schemas", f"{name}Resource")}}
    listing: Schema = {"type": "object", "required": ["data", "meta", "links"], "additionalProperties": False,
                       "properties": {"data": {"type": "array", "items": ref("schemas", f"{name}Resource")},
                                      "meta": ref("schemas", "ListMeta"), "links": ref("schemas", "ListLinks")}}
    if included:
        for schema in (document, listing):
            schema["properties"]["included"] = {
                "type": "array", "items": {"oneOf": [ref("schemas", f"{camel(t)}Resource") for t in included]}}
    return {
        f"{name}Resource": resource,
        f"{name}Document": document,
        f"{name}ListDocument": listing,
        f"{name}LinkageDocument": {
            "type": "object", "required": ["data", "links"], "additionalProperties": False,
            "properties": {"data": {"type": "array", "items": identifier(type_name)},
                           "links": ref("schemas", "RelationshipLinks")}},
    }


# --- operations --------------------------------------------------------------------------------------------------

def responses(success: str, description: str, schema: str | None, errors: tuple[str, ...]) -> Schema:
    out: Schema = {success: {"description": description}}
    if schema:
        out[success]["content"] = {JSONAPI: {"schema": ref("schemas", schema)}}
    out.update({status: ref("responses", ERRORS[status]) for status in errors})
    return out


def body(schema: str) -> Schema:
    return {"required": True, "content": {JSONAPI: {"schema": ref("schemas", schema)}}}


def record_paths(rtype: ResourceType, types: dict[str, ResourceType], parameters: dict[str, Schema]) -> dict[str, Any]:
    type_name, name = rtype.name, camel(rtype.name)
    listing = list_parameters(type_name, rtype.filterable(), rtype.sortable(), parameters)
    common = {"tags": ["records"]}
    paths: dict[str, Any] = {
        f"/api/{type_name}": {
            "get": {**common, "operationId": f"list{name}", "parameters": listing,
                    "responses": responses("200", f"A page of {type_name}.", f"{name}ListDocument", LIST_ERRORS)},
            "post": {**common, "operationId": f"create{name}", "requestBody": body(f"{name}CreateDocument"),
                     "responses": responses("201", "The created record.", f"{name}Document", WRITE_ERRORS)},
        },
        f"/api/{type_name}/{{record_id}}": {
            "parameters": [ref("parameters", "RecordId")],
            "get": {**common, "operationId": f"show{name}",
                    "responses": responses("200", "The record.", f"{name}Document", SHOW_ERRORS)},
            "patch": {**common, "operationId": f"update{name}", "requestBody": body(f"{name}UpdateDocument"),
                      "responses": responses("200", "The updated record.", f"{name}Document", UPDATE_ERRORS)},
            "delete": {**common, "operationId": f"delete{name}",
                       "description": "Deletes the record and its associated records.",
                       "responses": responses("204", "Deleted.", None, DELETE_ERRORS)},
        },
    }
    for parent in parents_of(rtype, types):
        paths[f"/api/{parent}/{{record_id}}/{type_name}"] = {
            "parameters": [ref("parameters", "RecordId")],
            "get": {**common, "operationId": f"list{camel(parent)}{name}", "parameters": listing,
                    "responses": responses("200", f"A page of the {parent} record's {type_name}.",
                                           f"{name}ListDocument", RELATED_LIST_ERRORS)},
        }
    return paths


RATE_LIMIT_HEADERS = {name: {"$ref": f"#/components/headers/{ref}"} for name, ref in (
    ("RateLimit-Limit", "RateLimitLimit"), ("RateLimit-Remaining", "RateLimitRemaining"),
    ("RateLimit-Reset", "RateLimitReset"))}
UNLIMITED_PATHS = {"/api/openapi.json"}  # a plain route: public, never counted


def add_rate_limit_headers(doc: dict[str, Any]) -> None:
    """Every response of every `/api` operation, inline or shared, carries the `RateLimit-*` headers."""
    shared = doc["components"]["responses"]
    targets: dict[int, dict[str, Any]] = {}
    for path, path_item in doc["paths"].items():
        if not path.startswith("/api/") or path in UNLIMITED_PATHS:
            continue
        for operation in path_item.values():
            for response in operation.get("responses", {}).values() if isinstance(operation, dict) else ():
                ref = response.get("$ref", "")
                target = shared[ref.rsplit("/", 1)[1]] if ref else response
                targets[id(target)] = target
    for response in targets.values():
        response["headers"] = {**response.get("headers", {}), **RATE_LIMIT_HEADERS}


def build(core: dict[str, Any]) -> dict[str, Any]:
    """The served document: `core` (the parsed YAML) expanded from the catalog."""
    doc = copy.deepcopy(core)
    resource_types = doc.pop("x-resource-types")
    components = doc["components"]
    schemas, parameters = components["schemas"], components["parameters"]
    types = hosted_types()

    schemas["CleanableType"] = {"type": "string", "enum": cleanable_types()}
    for type_name, spec in resource_types.items():
        schemas.update(document_schemas(type_name, relationships_schema(spec["relationships"]),
                                        spec.get("included", [])))
        parameters[f"{camel(type_name)}Fields"] = fields_parameter(type_name)
    for path_item in list(doc["paths"].values()):
        for operation in path_item.values():
            if isinstance(operation, dict) and "x-collection" in operation:
                collection = service_type(operation["x-collection"])
                operation["parameters"] = [*operation.get("parameters", []), *list_parameters(
                    collection.name, collection.filterable(), collection.sortable(), parameters)]

    for type_name, rtype in sorted(types.items()):
        name = camel(type_name)
        schemas[f"{name}Attributes"] = record_attributes(rtype)
        schemas.update(document_schemas(type_name, record_relationships(rtype), []))
        schemas[f"{name}CreateDocument"] = request_document(rtype, creating=True)
        schemas[f"{name}UpdateDocument"] = request_document(rtype, creating=False)
        parameters[f"{name}Fields"] = fields_parameter(type_name)
        doc["paths"].update(record_paths(rtype, types, parameters))
    add_rate_limit_headers(doc)
    # Hand-written attribute schemas list every attribute the service renders (without sparse fieldsets).
    for type_name in resource_types:
        schemas[f"{camel(type_name)}Attributes"]["x-complete"] = True
    return doc


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


def expected() -> str:
    """What `chalicelib/openapi.json` must contain for the current YAML and catalog."""
    return render(build(yaml.safe_load(SOURCE.read_text())))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when chalicelib/openapi.json is stale")
    args = parser.parse_args(argv)
    text = expected()
    if args.check:
        stale = not TARGET.exists() or TARGET.read_text() != text
        print(f"{TARGET.relative_to(ROOT)} is {'stale: run scripts/build_openapi.py' if stale else 'up to date'}")
        return 1 if stale else 0
    TARGET.write_text(text)
    print(f"wrote {TARGET.relative_to(ROOT)} ({len(text) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
