"""The preview's read side on moto: it counts exactly what the cleanup's batch delete removes, reading only keys."""
from __future__ import annotations

from collections import Counter

from chalicelib.catalog import get_type
from chalicelib.filters import Condition, parse_filters
from chalicelib.records import RecordsStore, SelectionStats
from chalicelib.records.items import is_guard_key
from chalicelib.tenancy import Tenant
from tests.integration.conftest import RecordFactory
from tests.integration.records_api import delete_batch, preview
from tests.integration.records_helpers import Items, WrappedClient, scan


def per_type(items: Items) -> Counter[str]:
    return Counter(item["pk"]["S"].rsplit("#", 1)[1] for item in items.values() if not is_guard_key(item))


def code_start(prefix: str) -> list[Condition]:
    return list(parse_filters(get_type("skus").filterable(), {"code_start": prefix}, in_body=True).conditions)


def test_preview_counts_what_the_cleanups_batch_delete_removes_per_type(records: RecordFactory,
                                                                        tenant: Tenant) -> None:
    # Given three DEL skus with a price (and tier), a stock item and a list item, a bare DEL sku, and a KEEP sku
    families = [records.full_sku(f"DEL{n}") for n in range(3)]
    records.sku("DEL9")
    records.full_sku("KEEP")
    # And one price deleted by a prices cleanup, which leaves its sku's children set naming it
    delete_batch(tenant, "prices", [families[0]["prices"]], not_modified_after="9999", archive=None, archive_key=None)
    # When the DEL skus are previewed
    found = preview(tenant, "skus", code_start("DEL"), limit=100, sample_size=10)
    # Then its counts are what deleting them with the cleanup's batch delete removes, type by type
    before = scan()
    delete_batch(tenant, "skus", found.ids, not_modified_after="9999", archive=None, archive_key=None)
    removed = per_type(before) - per_type(scan())
    assert len(found.ids) == removed.pop("skus") == 4
    assert {t: n for t, n in found.associated.items() if n} == dict(removed)
    assert found.associated == {"prices": 2, "stock_items": 3, "sku_list_items": 3, "in_stock_subscriptions": 0,
                                "tax_categories": 0, "price_volume_tiers": 2, "price_frequency_tiers": 0}


def test_preview_samples_the_first_records_by_id_with_code_and_name(records: RecordFactory, tenant: Tenant) -> None:
    # Given twelve skus
    skus = sorted((records.sku(f"DEL{n:02d}") for n in range(12)), key=lambda r: r.id)
    # When they are previewed with a sample of ten
    found = preview(tenant, "skus", [], limit=100, sample_size=10)
    # Then the sample is the first ten by id, each with its code and name
    assert found.sample == [{"id": r.id, "code": r.attributes["code"], "name": r.attributes["name"]} for r in skus[:10]]


def test_preview_sample_of_a_type_without_code_or_name_has_ids_only(records: RecordFactory, tenant: Tenant) -> None:
    # Given a price
    price = records.price(records.sku().id)
    # When prices are previewed, Then the sample names the id alone
    assert preview(tenant, "prices", [], limit=100, sample_size=10).sample == [{"id": price.id}]


def test_preview_reads_the_selection_and_the_associated_keys_only(records: RecordFactory, tenant: Tenant) -> None:
    # Given five DEL skus with four associated records each (plus a KEEP sku)
    for n in range(5):
        records.full_sku(f"DEL{n}")
    records.full_sku("KEEP")
    client = WrappedClient(RecordsStore().client)
    stats = SelectionStats()
    # When the DEL skus are previewed
    found = preview(tenant, "skus", code_start("DEL"), limit=100, sample_size=10, stats=stats,
                    store=RecordsStore(client=client))
    # Then it read each selected record and each associated record once: one Query, one BatchGetItem per generation
    assert stats.scanned == len(found.ids) + sum(found.associated.values()) == 25
    assert dict(client.calls) == {"query": 1, "batch_get_item": 2}


def test_preview_over_the_limit_reads_no_associated_record(records: RecordFactory, tenant: Tenant) -> None:
    # Given three skus with associated records
    for n in range(3):
        records.full_sku(f"DEL{n}")
    client = WrappedClient(RecordsStore().client)
    # When they are previewed with a limit of two
    found = preview(tenant, "skus", [], limit=2, sample_size=10, store=RecordsStore(client=client))
    # Then it stops at three ids, counts nothing else and reads no associated record
    assert (len(found.ids), found.associated, found.sample) == (3, {}, [])
    assert "batch_get_item" not in client.calls


def test_preview_sees_only_its_tenant(records: RecordFactory, tenant: Tenant, other_tenant: Tenant) -> None:
    # Given a sku of the tenant, When another tenant previews skus, Then it selects nothing
    records.full_sku("DEL0")
    found = preview(other_tenant, "skus", [], limit=100, sample_size=10)
    assert (found.ids, found.sample, set(found.associated.values())) == ([], [], {0})
