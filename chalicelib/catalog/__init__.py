"""The hosted resource types, as data read from `resources.json`.

`resources.json` is derived from Commerce Layer's public schema by
`scripts/build_catalog.py`; one engine reads it, no code is written per type.
"""
from chalicelib.catalog.model import (
    INDEX_SLOTS,
    Attribute,
    Cascade,
    Relationship,
    ResourceType,
    ServiceType,
    cleanable_types,
    get_type,
    hosted_types,
    service_type,
)

__all__ = [
    "INDEX_SLOTS", "Attribute", "Cascade", "Relationship", "ResourceType", "ServiceType",
    "cleanable_types", "get_type", "hosted_types", "service_type",
]
