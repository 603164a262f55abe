"""The seeder against moto: records stored exactly as the API stores them, and cascades work on them."""
from __future__ import annotations

from chalicelib.records.adapters.store import RecordsStore
from chalicelib.records.items import record_key
from tests.integration.records_api import delete_batch, get_record, list_records, select_ids
from tools.seed import main, seed


def _stored_names(tenant, type_name: str, record_id: str) -> set[str]:
    return set(RecordsStore().get(record_key(tenant, type_name, record_id)) or {})


def test_seed_stores_records_as_create_record_does(tables, tenant, records):
    # Given seeded skus, and a sku created through the service with the same kind of associated records
    summary = seed(tenant, skus=3, skus_per_list=2, workers=1)
    created = records.full_sku()
    seeded_sku = next(i for i in select_ids(tenant, "skus", []) if i != created["skus"])
    seeded_price = next(p for p in list_records(tenant, "prices", [], [], 1, 10)[0] if p.id != created["prices"])
    # Then the seeded items carry the same stored attributes (index keys and children included)
    for type_name, seeded_id in (("skus", seeded_sku), ("prices", seeded_price.id)):
        optional = {"reference", "reference_ci"}  # the seeder tags its skus with a reference
        assert _stored_names(tenant, type_name, seeded_id) - optional == \
            _stored_names(tenant, type_name, created[type_name]) - optional
    assert seeded_price.attributes["currency_code"] == "EUR"
    assert summary.counts["skus"] == 3 and summary.counts["skus guards on code"] == 3
    assert len(summary.sku_lists) == 2


def test_seeded_skus_cascade_on_delete(tables, tenant):
    # Given seeded skus; when all are batch deleted
    seed(tenant, skus=5, workers=1)
    ids = select_ids(tenant, "skus", [])
    outcome = delete_batch(tenant, "skus", ids, not_modified_after="9999", archive=None, archive_key=None)
    # Then every associated record went with them, the shared parents stayed
    assert outcome.deleted == ids
    for type_name in ("prices", "price_volume_tiers", "stock_items", "sku_list_items"):
        assert select_ids(tenant, type_name, []) == []
    (price_list,) = select_ids(tenant, "price_lists", [])
    assert get_record(tenant, "price_lists", price_list).attributes["currency_code"] == "EUR"


def test_seed_command_prints_what_it_loaded(tables, tenant, capsys):
    main(["--tenant-org", tenant.organization_id, "--mode", tenant.mode, "--skus", "4"])
    out = capsys.readouterr().out
    assert "skus: 4" in out and "loaded 28 items" in out


def test_seed_of_skus_alone_writes_skus_and_their_code_guards_only(tables, tenant):
    # Given skus seeded without their associated records
    summary = seed(tenant, skus=4, workers=1, associated=False)
    # When the store is read back
    skus = select_ids(tenant, "skus", [])
    # Then only the skus, their code guards and their shipping category were written
    assert dict(summary.counts) == {"shipping_categories": 1, "skus": 4, "skus guards on code": 4}
    assert len(skus) == 4
    for type_name in ("prices", "stock_items", "sku_list_items", "sku_lists", "price_lists"):
        assert select_ids(tenant, type_name, []) == []
    assert all(get_record(tenant, "skus", sku_id).attributes["reference"] == f"seed-{summary.tag}" for sku_id in skus)
