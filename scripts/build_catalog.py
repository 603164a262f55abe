"""Derive chalicelib/catalog/resources.json from the Commerce Layer reference schema.

Run from the repository root: `python scripts/build_catalog.py [path/to/commercelayer-resources.json]`.
The output is committed; re-run this when the reference changes.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

CLEANABLE = ["bundles", "gift_cards", "prices", "promotions", "sku_lists", "sku_options", "skus", "stock_items"]
ASSOCIATED = ["price_volume_tiers", "price_frequency_tiers", "promotion_rules", "sku_list_items",
              "line_item_options", "in_stock_subscriptions", "tax_categories"]
REFERENCED = ["price_lists", "stock_locations", "markets", "shipping_categories", "customers"]
# The service's own resources: their flags drive writability and list filters too.
SERVICE = ["cleanups", "events", "webhooks", "event_callbacks", "versions"]
# What Commerce Layer deletes with a record (its cleanups documentation).
CASCADES = {
    "skus": ["prices", "stock_items", "sku_list_items", "in_stock_subscriptions", "tax_categories"],
    "prices": ["price_volume_tiers", "price_frequency_tiers"],
    "promotions": ["promotion_rules"],
    "sku_lists": ["sku_list_items", "bundles"],
    "sku_options": ["line_item_options"],
}
# Values Commerce Layer keeps unique per organization.
UNIQUE = {"skus": ["code"], "gift_cards": ["code"], "sku_options": ["code"]}
FIELD_KEYS = ("type", "creatable", "updatable", "filterable", "sortable", "enum")
# Fields the service adds to Commerce Layer's own: read-only, or write-only triggers (the restore window).
_READ_ONLY = {"creatable": False, "updatable": False, "required": False, "filterable": True, "sortable": True}
SERVICE_EXTRA = {
    "cleanups": {
        "_restore": {**_READ_ONLY, "type": "boolean", "updatable": True, "filterable": False, "sortable": False},
        "restorable_until": {**_READ_ONLY, "type": "datetime"},
        "restore_status": {**_READ_ONLY, "type": "string", "enum": ["pending", "in_progress", "completed",
                                                                     "interrupted"]},
        "restored_count": {**_READ_ONLY, "type": "integer"},
        "restore_errors_count": {**_READ_ONLY, "type": "integer"},
        "restore_errors_log": {**_READ_ONLY, "type": "object", "filterable": False, "sortable": False},
        "expected_records_count": {**_READ_ONLY, "type": "integer", "creatable": True, "filterable": False,
                                   "sortable": False},
        "max_records_per_second": {**_READ_ONLY, "type": "integer", "creatable": True, "updatable": True},
        "progress_percent": {**_READ_ONLY, "type": "float"},
        "records_per_second": {**_READ_ONLY, "type": "float", "filterable": False, "sortable": False},
        "estimated_completion_at": {**_READ_ONLY, "type": "datetime", "filterable": False, "sortable": False},
        "counts_settled": {**_READ_ONLY, "type": "boolean", "filterable": False, "sortable": False},
        "report_url": {**_READ_ONLY, "type": "string", "filterable": False, "sortable": False},
    },
}


def plural(singular: str) -> str:
    return singular[:-1] + "ies" if singular.endswith("y") else singular + "s"


def snake(class_name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in class_name).lstrip("_")


def _fields(spec: dict) -> dict:
    fields = {}
    for name, field in spec["fields"].items():
        entry = {k: field[k] for k in FIELD_KEYS if k in field}
        entry["required"] = field.get("required") == "required"
        fields[name] = entry
    return fields


def build(reference: dict) -> dict:
    hosted = CLEANABLE + ASSOCIATED + REFERENCED
    by_plural = {plural(name): spec for name, spec in reference["resources"].items()}
    out: dict = {"types": {}, "service": {name: {"fields": {**_fields(by_plural[name]), **SERVICE_EXTRA.get(name, {})}}
                                          for name in SERVICE}}
    for type_name in hosted:
        spec = by_plural[type_name]
        fields = _fields(spec)
        relationships = {}
        for name, rel in spec.get("relationships", {}).items():
            if rel["type"] != "has_one" or rel.get("virtual"):
                continue
            target = plural(snake(rel["class_name"]))
            relationships[name] = {
                "target": target,
                "required": str(rel.get("required", "")).startswith("required"),
                "creatable": bool(rel.get("creatable")),
                "updatable": bool(rel.get("updatable")),
                "filterable": bool(rel.get("filterable")),
            }
        out["types"][type_name] = {
            "singular": type_name,
            "cleanable": type_name in CLEANABLE,
            "fields": fields,
            "relationships": relationships,
            "cascades": [_child_link(by_plural, child, type_name) for child in CASCADES.get(type_name, [])],
            "unique": UNIQUE.get(type_name, []),
        }
    return out


def _child_link(by_plural: dict, child: str, parent: str) -> dict:
    for name, rel in by_plural[child].get("relationships", {}).items():
        if rel["type"] == "has_one" and plural(snake(rel["class_name"])) == parent:
            return {"type": child, "relationship": name}
    raise SystemExit(f"{child} has no has_one relationship to {parent}")


def main() -> None:
    source = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/reference/commercelayer-resources.json")
    target = Path(__file__).resolve().parent.parent / "chalicelib" / "catalog" / "resources.json"
    target.write_text(json.dumps(build(json.loads(source.read_text())), indent=1, sort_keys=True) + "\n")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
