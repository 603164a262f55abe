"""PynamoDB plumbing shared by the adapters: models bound to a table name read at call time."""
from __future__ import annotations

import functools
from typing import TypeVar

from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

M = TypeVar("M", bound=type[Model])


@functools.cache
def bind(model: M, table_name: str) -> M:
    """A subclass of `model` stored in `table_name` (settings are read lazily, so names are too)."""
    meta = type("Meta", (model.Meta,), {"table_name": table_name})  # type: ignore[attr-defined,arg-type]
    bound = type(f"{model.__name__}_{table_name}", (model,), {"Meta": meta, "__module__": model.__module__})
    return bound  # type: ignore[return-value]


class ServiceItem(Model):
    """An item of the cleanups table: generic string keys; each kind adds its own attributes."""

    class Meta:
        table_name = "cleanups"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class TenantItem(ServiceItem):
    """A service item that names its owner, so it can be rebuilt as a domain object alone."""

    organization_id = UnicodeAttribute()
    mode = UnicodeAttribute()
