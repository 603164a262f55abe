"""PynamoDB plumbing shared by the adapters.

Models bound to a table name read at call time; the one mapping between domain dataclasses
and stored items; the one test for a refused conditional write; transactions whose
refusals say which action's condition failed; pages of a partition in `created_at` order, read
from the `created_at` index.
"""
from __future__ import annotations

import dataclasses
import functools
import random
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from aws_lambda_powertools import Logger
from pynamodb.attributes import (
    Attribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    NumberSetAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.exceptions import DoesNotExist, PynamoDBException, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, LocalSecondaryIndex
from pynamodb.models import Model

from chalicelib import aws
from chalicelib.config import get_settings
from chalicelib.exceptions import RecordNotFoundError
from chalicelib.tenancy import Tenant

M = TypeVar("M", bound=type[Model])
ItemT = TypeVar("ItemT", bound=Model)
D = TypeVar("D")

_CONDITION_FAILED = "ConditionalCheckFailedException"
_REASON_CONDITION_FAILED = "ConditionalCheckFailed"
# Cancellation reasons that say "send it again", not "your condition is false".
_RETRYABLE = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded",
                        "RequestLimitExceeded"})
TRANSACT_ATTEMPTS = 30
logger = Logger(service="cleanups")
# What a Query of an index the table lacks or still backfills answers (moto: ResourceNotFoundException);
# the callers' queries are otherwise valid, so nothing else answers it.
_NO_INDEX = frozenset({"ValidationException", "ResourceNotFoundException"})


def bind(model: M, table_name: str) -> M:
    """A subclass of `model` stored in `table_name`, reached where DynamoDB is now (`aws.location`): settings and
    endpoints are read lazily, so names and endpoints are too. One class (and client) per table and endpoint."""
    region, endpoint = aws.location("dynamodb")
    return _bound(model, table_name, region, endpoint)


@functools.cache
def _bound(model: M, table_name: str, region: str, endpoint: str) -> M:
    attributes = {"table_name": table_name, "region": region, "host": endpoint or None}
    meta = type("Meta", (model.Meta,), attributes)  # type: ignore[attr-defined,arg-type]
    bound = type(f"{model.__name__}_{table_name}", (model,), {"Meta": meta, "__module__": model.__module__})
    return bound  # type: ignore[return-value]


def forget_models() -> None:
    """Drop the bound models and their clients (a process that switches emulators between tables of one name)."""
    _bound.cache_clear()


class ServiceItem(Model):
    """An item of the cleanups table: generic string keys; each kind adds its own attributes."""

    class Meta:
        table_name = "cleanups"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class Owned:
    """The attributes of an item that names its owner, the tenant: its organization and mode."""

    organization_id = UnicodeAttribute()
    mode = UnicodeAttribute()


class Selected:
    """What names a selection of records: their type and the filters (a cleanup's, a preview's)."""

    resource_type = UnicodeAttribute()
    filters = JSONAttribute()


class Expiring:
    """An item written once and removed by the table's TTL: when it was written, when it goes."""

    created_at = UnicodeAttribute()
    expires_at = NumberAttribute()  # epoch seconds: the table's TTL attribute


class TenantItem(ServiceItem, Owned):
    """A service item that names its owner, so it can be rebuilt as a domain object alone."""


class ResourceItem(TenantItem):
    """A tenant item of a JSON:API resource: the attributes every one has (timestamps and details)."""

    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    reference = UnicodeAttribute(null=True)
    reference_origin = UnicodeAttribute(null=True)
    metadata = JSONAttribute(null=True)


class ActiveIndex(GlobalSecondaryIndex[Any]):
    """The cleanups table's `active` index: work lists by the value of `active`, oldest `updated_at` first.

    Each model declares its own instance (its queries return that model's items).
    """

    class Meta:
        index_name = "active"
        projection = AllProjection()

    active = UnicodeAttribute(hash_key=True)
    updated_at = UnicodeAttribute(range_key=True)


class CreatedIndex(GlobalSecondaryIndex[Any]):
    """The cleanups table's `created_at` index: a partition's items in `created_at` order, either way.

    Hash `pk`, range the `created_at` every resource item already carries: any kind stored under its
    own `pk` (cleanups, schedules) lists by it with no key of its own to write. Items sharing a
    `created_at` come in no set order: a page reads them in (`created_at`, id) order. Each
    model declares its own instance (its queries return that model's items). Eventually consistent
    (docs/DESIGN.md#lists-newest-first).
    """

    class Meta:
        index_name = "created_at"
        projection = AllProjection()

    pk = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


def local_index(range_key: str) -> type[LocalSecondaryIndex[Any]]:
    """A local secondary index of the cleanups table, named `range_key`: a partition's items in `range_key` order.

    It projects every attribute; the items that carry `range_key` (a string) are the ones it lists.
    """
    meta = type("Meta", (), {"index_name": range_key, "projection": AllProjection()})
    attributes = {"Meta": meta, "pk": UnicodeAttribute(hash_key=True), range_key: UnicodeAttribute(range_key=True)}
    return type(f"LocalIndex_{range_key}", (LocalSecondaryIndex,), attributes)


def in_cleanups_table(model: M) -> M:
    """`model` bound to the cleanups table (every service item lives there), as configured now."""
    return bind(model, get_settings().cleanups_table)


# --- reads -----------------------------------------------------------------------------------------

def get_item(model: type[ItemT], pk: str, sk: str, missing: str) -> ItemT:
    """The item at (`pk`, `sk`), read consistently; `RecordNotFoundError(missing)` when there is none."""
    try:
        return model.get(pk, sk, consistent_read=True)
    except DoesNotExist:
        raise RecordNotFoundError(missing) from None


def get_items(wanted: Sequence[tuple[type[Model], str, str]]) -> list[Model | None]:
    """The item at each (model, pk, sk) of one table, None where there is none: one TransactGetItems, so
    they are read together and consistently."""
    connection = wanted[0][0]._get_connection().connection  # the bound model's client and endpoint
    response = connection.transact_get_items(
        get_items=[model.get_operation_kwargs_from_class(pk, range_key=sk) for model, pk, sk in wanted])
    return [model.from_raw_data(found["Item"]) if found.get("Item") else None
            for (model, _, _), found in zip(wanted, response["Responses"], strict=True)]


def partition_items(model: type[ItemT], pk: str) -> list[ItemT]:
    """Every item of partition `pk`, in `sk` order, read consistently."""
    return list(model.query(pk, consistent_read=True))


def created_order(items: Sequence[ItemT], descending: bool) -> list[ItemT]:
    """`items` by `created_at` (newest first if `descending`), equal ones in `sk` (id) order: the `sort=created_at`
    order of a whole list (`chalicelib.records.sorting`)."""
    ordered = sorted(items, key=lambda item: item.sk)  # type: ignore[attr-defined]
    ordered.sort(key=lambda item: item.created_at, reverse=descending)  # type: ignore[attr-defined]  # stable
    return ordered


def created_page(model: type[ItemT], index: CreatedIndex, pk: str, offset: int, limit: int, descending: bool,
                 live: Condition | None = None, page_size: int | None = None) -> list[ItemT]:
    """Items `offset` to `offset + limit` of partition `pk` that match `live`, in `created_order`.

    Read from `model`'s `index` (a `CreatedIndex`): the first `offset + limit` that match, `page_size` (by
    default as many) examined per request, then those sharing the last one's `created_at` (its ties may run
    past the page), so about the page whatever the partition holds. While the index is not ACTIVE (an
    upgrade adding it, docs/DEPLOY.md#upgrading-in-place), every item of the partition is read consistently
    instead: the same page, at the old cost.
    """
    wanted = offset + limit
    try:
        found = list(index.query(pk, filter_condition=live, scan_index_forward=not descending,
                                 limit=wanted, page_size=page_size or wanted))
        if len(found) == wanted:
            edge = found[-1].created_at
            read = {item.sk for item in found}
            found += [item for item in index.query(pk, CreatedIndex.created_at == edge, filter_condition=live)
                      if item.sk not in read]
    except PynamoDBException as error:
        if error.cause_response_code not in _NO_INDEX:
            raise
        logger.warning("index %s refused a query, the partition is read instead: %s", index.Meta.index_name, error)
        found = list(model.query(pk, filter_condition=live, consistent_read=True))
    return created_order(found, descending)[offset:wanted]


# --- conditional writes --------------------------------------------------------------------------

def condition_failed(error: Exception) -> bool:
    """A conditional write refused: the only storage error the adapters expect."""
    return isinstance(error, PynamoDBException) and error.cause_response_code == _CONDITION_FAILED


def written(write: Callable[[], object]) -> bool:
    """Run one conditional write: False when its condition failed; any other error is raised."""
    try:
        write()
    except PynamoDBException as error:
        if condition_failed(error):
            return False
        raise
    return True


class Transaction:
    """One TransactWriteItems over PynamoDB items, each action named by the caller.

    `commit` answers which named actions' conditions failed, so an adapter tells "the
    status moved" from "the limit is reached" without matching on messages.
    """

    def __init__(self) -> None:
        # PynamoDB sends deletes, then puts, then updates: cancellation reasons come in that order.
        self._deletes: list[tuple[str, dict[str, Any]]] = []
        self._puts: list[tuple[str, dict[str, Any]]] = []
        self._updates: list[tuple[str, dict[str, Any]]] = []
        self._model: type[Model] | None = None

    def _use(self, item: Model) -> None:
        self._model = self._model or type(item)

    def put(self, item: Model, condition: Condition | None = None, name: str = "") -> None:
        self._use(item)
        self._puts.append((name, item.get_save_kwargs_from_instance(condition=condition)))

    def update(self, item: Model, actions: list[Action], condition: Condition | None = None, name: str = "") -> None:
        self._use(item)
        self._updates.append((name, item.get_update_kwargs_from_instance(actions=actions, condition=condition)))

    def delete(self, item: Model, condition: Condition | None = None, name: str = "") -> None:
        self._use(item)
        self._deletes.append((name, item.get_delete_kwargs_from_instance(condition=condition)))

    def commit(self) -> set[str]:
        """Write every action or none; the names of those whose condition failed (empty: written).

        Cancelled only by conflicts or throttling, it is sent again after a jittered pause.
        """
        for attempt in range(TRANSACT_ATTEMPTS):
            codes = self._send()
            if codes is None:
                return set()
            names = [name for name, _ in self._deletes + self._puts + self._updates]
            failed = {names[i] for i, code in enumerate(codes) if code == _REASON_CONDITION_FAILED}
            if failed:
                return failed
            if not set(codes) - {None} <= _RETRYABLE:
                raise RuntimeError(f"transaction cancelled: {codes}")
            time.sleep(random.uniform(0, min(0.5, 0.01 * 2 ** attempt)))
        raise RuntimeError(f"transaction still conflicting after {TRANSACT_ATTEMPTS} attempts")

    def _send(self) -> list[str | None] | None:
        """None when written, else each action's cancellation code (None: not the cause)."""
        if self._model is None:
            return None
        connection = self._model._get_connection().connection  # the bound model's client and endpoint
        try:
            # A fresh token per attempt: botocore's own retries of one attempt stay idempotent.
            connection.transact_write_items(
                condition_check_items=[], delete_items=[kwargs for _, kwargs in self._deletes],
                put_items=[kwargs for _, kwargs in self._puts], update_items=[kwargs for _, kwargs in self._updates],
                client_request_token=uuid.uuid4().hex)
        except TransactWriteError as error:
            if error.cause_response_code != "TransactionCanceledException":
                raise
            return [reason.code if reason is not None else None for reason in error.cancellation_reasons]
        return None


# --- domain dataclass <-> stored item -------------------------------------------------------------
# A dataclass field is stored in the model attribute of the same name; a `tenant` field in
# `organization_id` and `mode`. Fields the model does not declare (the keys) are passed by the adapter.

def stored_values(model: type[Model], obj: Any) -> dict[str, Any]:
    """Attribute name -> stored value for every field of `obj` the model declares (None: absent)."""
    attributes = model.get_attributes()
    values: dict[str, Any] = {}
    for field in dataclasses.fields(obj):
        value = getattr(obj, field.name)
        if field.name == "tenant" and isinstance(value, Tenant) and "organization_id" in attributes:
            values.update(organization_id=value.organization_id, mode=value.mode)
        elif field.name in attributes:
            values[field.name] = _to_stored(attributes[field.name], value)
    return values


def to_item(model: type[ItemT], obj: Any, **keys: Any) -> ItemT:
    """The item of `obj`; `keys` gives the key attributes and any attribute that is not a field."""
    return model(**{**stored_values(model, obj), **keys})


def to_domain(cls: type[D], item: Model, **extra: Any) -> D:
    """The dataclass `cls` from `item`; `extra` gives fields not stored under their own name (the id)."""
    attributes = type(item).get_attributes()
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        if field.name in extra:
            values[field.name] = extra[field.name]
        elif field.name == "tenant" and "organization_id" in attributes:
            values[field.name] = Tenant(item.organization_id, item.mode)  # type: ignore[attr-defined]
        elif field.name in attributes:
            values[field.name] = _from_stored(field, getattr(item, field.name))
    return cls(**values)


def _to_stored(attribute: Attribute[Any], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(attribute, (NumberSetAttribute, UnicodeSetAttribute)):
        return set(value) or None  # DynamoDB has no empty set
    if isinstance(attribute, MapAttribute) and isinstance(value, dict):
        return MapAttribute(**value)
    if isinstance(attribute, ListAttribute):
        return list(value) or (None if attribute.null else [])
    if isinstance(attribute, JSONAttribute) and attribute.null and value == {}:
        return None
    return value


def _default(field: dataclasses.Field[Any]) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return None


def _from_stored(field: dataclasses.Field[Any], value: Any) -> Any:
    """Absent reads as the field's default; maps as dicts; sets and lists as the default's kind."""
    if value is None:
        return _default(field)
    if isinstance(value, MapAttribute):
        return value.as_dict()
    default = _default(field)
    if isinstance(default, (tuple, frozenset)):
        return type(default)(value)
    return value
