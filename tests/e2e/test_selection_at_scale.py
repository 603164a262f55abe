"""Selections at the service's limit on the local DynamoDB: every record an index holds is selected.

The local DynamoDB once dropped a few index entries among thousands sharing one key, so a cleanup
by `reference_eq` over 10,000 skus counted 9,995-9,999 of them; DynamoDB Local, like DynamoDB,
keeps them all. The skus (alone, without prices or stock) are bulk-loaded through the records
store, not created over HTTP.
"""
from __future__ import annotations

from chalicelib.config import get_settings
from chalicelib.records.adapters.store import RecordsStore
from chalicelib.tenancy import Tenant
from tests.e2e import RunningStack
from tests.e2e.api import Api
from tools.seed import seed

DEV_TENANT = Tenant("DemoOrg001", "test")  # what dev-integration-test's tokens name
LIMIT = 10_000  # MAX_CLEANUP_RECORDS: the most one cleanup may select


def test_cleanup_by_reference_selects_every_one_of_10000_skus_sharing_it(local_stack: RunningStack) -> None:
    # Given 10,000 skus sharing one reference, bulk-loaded into the stack's DynamoDB
    store = RecordsStore(local_stack.client("dynamodb"), get_settings().records_table)
    summary = seed(DEV_TENANT, skus=LIMIT, workers=4, store=store, associated=False)
    assert summary.counts["skus"] == LIMIT
    api = Api(local_stack.api_url, local_stack.token())

    # When a cleanup selects them by `reference_eq`, which the reference index serves
    response = api.request("POST", "/api/cleanups", {"data": {"type": "cleanups", "attributes": {
        "resource_type": "skus", "filters": {"reference_eq": f"seed-{summary.tag}"}}}})
    assert response.status_code == 201, response.text
    cleanup = response.json()["data"]
    # Deleting them all would only load the shared stack: the selection is what is checked.
    interrupted = api.request("PATCH", f"/api/cleanups/{cleanup['id']}", {"data": {
        "type": "cleanups", "id": cleanup["id"], "attributes": {"_interrupt": True}}})

    # Then every sku is selected
    assert cleanup["attributes"]["records_count"] == LIMIT
    assert interrupted.status_code == 200, interrupted.text
