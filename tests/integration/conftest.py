"""Integration fixtures: record factories and tenants (moto itself is `tables` in tests/conftest.py)."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from chalice.test import Client

import app as service
from chalicelib.cleanups import CleanupRepository
from chalicelib.cleanups.adapters.store import DynamoCleanupRepository
from chalicelib.events import add_recorded
from chalicelib.records import Record, S3Archive
from chalicelib.tenancy import Tenant
from devstack.dev_applications import seed_dev_applications
from tests import moto_world
from tests.integration.cleanup_helpers import RecordingEvents
from tests.integration.records_api import create_record
from tests.unit.fakes import InMemoryCleanupRepository

T = TypeVar("T")


class RecordFactory:
    """Creates hosted records through the records service, with valid defaults."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self._shared: dict[str, str] = {}
        self._number = 0

    def make(self, type_name: str, attributes: dict[str, Any] | None = None,
             relationships: dict[str, str | None] | None = None) -> Record:
        return create_record(self.tenant, type_name, attributes or {}, relationships or {})

    def shared(self, type_name: str) -> str:
        """One parent of `type_name` per factory, created on first use."""
        if type_name not in self._shared:
            defaults: dict[str, tuple[dict[str, Any], dict[str, str | None]]] = {
                "shipping_categories": ({"name": "Default"}, {}),
                "price_lists": ({"name": "EUR list", "currency_code": "EUR"}, {}),
                "stock_locations": ({"name": "Warehouse"}, {"address": "addr000001"}),
                "sku_lists": ({"name": "Featured"}, {}),
            }
            attributes, relationships = defaults[type_name]
            self._shared[type_name] = self.make(type_name, attributes, relationships).id
        return self._shared[type_name]

    def sku(self, code: str | None = None, **attributes: Any) -> Record:
        self._number += 1
        return self.make("skus", {"code": code or f"SKU{self._number:05d}", "name": f"Sku {self._number}",
                                  **attributes}, {"shipping_category": self.shared("shipping_categories")})

    def price(self, sku_id: str, amount_cents: int = 1000) -> Record:
        return self.make("prices", {"amount_cents": amount_cents},
                         {"sku": sku_id, "price_list": self.shared("price_lists")})

    def tier(self, price_id: str) -> Record:
        return self.make("price_volume_tiers", {"name": "10+", "up_to": 10, "price_amount_cents": 900},
                         {"price": price_id})

    def stock_item(self, sku_id: str, quantity: int = 5) -> Record:
        return self.make("stock_items", {"quantity": quantity},
                         {"sku": sku_id, "stock_location": self.shared("stock_locations")})

    def sku_list_item(self, sku_id: str) -> Record:
        return self.make("sku_list_items", {"quantity": 1}, {"sku": sku_id, "sku_list": self.shared("sku_lists")})

    def full_sku(self, code: str | None = None) -> dict[str, str]:
        """A sku with a price (and a tier), a stock item and a sku list item: type -> id."""
        sku = self.sku(code)
        price = self.price(sku.id)
        return {"skus": sku.id, "prices": price.id, "price_volume_tiers": self.tier(price.id).id,
                "stock_items": self.stock_item(sku.id).id, "sku_list_items": self.sku_list_item(sku.id).id}


@pytest.fixture
def tenant() -> Tenant:
    return Tenant("org-alpha", "test")


@pytest.fixture
def other_tenant() -> Tenant:
    return Tenant("org-beta", "test")


@pytest.fixture
def records(tables: dict[str, str], tenant: Tenant) -> RecordFactory:
    return RecordFactory(tenant)


@pytest.fixture
def client(tables: dict[str, str]) -> Iterator[Client]:
    """Chalice's test client on the app (HTTP without a server), the dev applications seeded in moto."""
    moto_world.seeded("dev applications", tables["APPLICATIONS_TABLE"], seed_dev_applications)
    with Client(service.app, stage_name="dev") as test_client:
        yield test_client


@pytest.fixture
def s3_archive(tables: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> S3Archive:
    """The archive bucket in moto, named to the app through ARCHIVE_BUCKET."""
    return S3Archive()  # the `tables` fixture made the bucket


ADAPTERS = ["in_memory", "dynamodb"]  # the params of a contract fixture


def contract_adapter(request: pytest.FixtureRequest, in_memory: Callable[[], T], dynamodb: Callable[[], T]) -> T:
    """What a contract test runs on this time: the in-memory fake, or the DynamoDB adapter once moto's tables exist."""
    if request.param == "in_memory":
        return in_memory()
    request.getfixturevalue("tables")
    return dynamodb()


@pytest.fixture(params=ADAPTERS)
def repository(request: pytest.FixtureRequest) -> CleanupRepository:
    """Each cleanup repository contract test runs on the in-memory fake and on DynamoDB (moto)."""
    return contract_adapter(request, InMemoryCleanupRepository, lambda: DynamoCleanupRepository(add_recorded))


@pytest.fixture
def work_queue(tables: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Small batches, so a handful of records makes several messages and sub-batches."""
    monkeypatch.setenv("BATCH_SIZE", "4")
    monkeypatch.setenv("SUB_BATCH_SIZE", "2")


@pytest.fixture
def interrupt_waits_briefly(monkeypatch: pytest.MonkeyPatch) -> None:
    """An interrupt waits up to 20 s for its in-flight sub-batches to be counted; where the one in flight is the
    test's own call or a delivery that died, nothing counts it meanwhile, so the wait only ever reaches its end."""
    monkeypatch.setenv("INTERRUPT_SETTLE_SECONDS", "0.2")


@pytest.fixture
def events() -> RecordingEvents:
    """The real events port, noting what each winning write dispatched."""
    return RecordingEvents()
