"""The cleanup item's budget on DynamoDB Local, which refuses an item whose table and local-index copies pass
400 KB (docs/DESIGN.md#item-budget): the worst case is accepted and counted, one past the limit refused; over
HTTP, a cleanup of 10,000 ordinary codes with metadata and a reference at their limits fills its errors_log
to the cap."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.cleanups.adapters.store import _to_item
from chalicelib.cleanups.domain import budget
from chalicelib.config import get_settings
from chalicelib.records import RecordsStore
from chalicelib.records.batch import MODIFIED
from chalicelib.tenancy import Tenant
from tests.e2e import RunningStack, start_stack
from tests.e2e.api import Api
from tests.item_budget import FOUR_BYTES, item_bytes, worst_case_cleanup
from tools import seed

DEV_TENANT = Tenant("DemoOrg001", "test")  # what dev-integration-test's tokens name
MODIFIED_SKUS = 600  # more than ERRORS_LOG_CAP (500)
VALUES = 10_000


@pytest.fixture(scope="module")
def stack() -> Iterator[RunningStack]:
    """A stack with no error budget: a cleanup whose every record fails runs to its end, logging each."""
    running = start_stack({"WORKERS": "2", "ERROR_BUDGET_RATIO": "1", "RATE_LIMIT_REQUESTS": "1000000"})
    yield running
    assert running.stop() == 0, running.log()[-3000:]


def _put(stack: RunningStack, item: dict[str, Any]) -> bool:
    try:
        stack.client("dynamodb").put_item(TableName=get_settings().cleanups_table, Item=item)
    except ClientError as refused:
        assert refused.response["Error"]["Code"] == "ValidationException", refused.response
        return False
    return True


def test_the_worst_case_cleanup_item_is_accepted_and_counted_and_a_larger_one_refused(stack: RunningStack) -> None:
    # Given the worst-case cleanup's item, in both local indexes
    item = _to_item(worst_case_cleanup()).serialize()
    assert "by_reference" in item and "by_status" in item
    # When it is put, and a sub-batch's count is added to it
    accepted = _put(stack, item)
    stack.client("dynamodb").update_item(
        TableName=get_settings().cleanups_table, Key={"pk": item["pk"], "sk": item["sk"]},
        UpdateExpression="ADD processed_count :one, #counted :number", ExpressionAttributeNames={"#counted": "counted"},
        ExpressionAttributeValues={":one": {"N": "1"}, ":number": {"NS": [str(budget.MAX_SUB_BATCHES)]}})
    # Then both are written; and the same item grown 100 bytes past a third of 400 KB (as `item_bytes` sizes it,
    # within a hundred bytes of DynamoDB's own count) is refused
    assert accepted
    padding = 409_600 // 3 + 100 - item_bytes(item) - len("padding")
    assert not _put(stack, {**item, "padding": {"S": "p" * padding}})


def test_a_cleanup_of_10000_ordinary_codes_fills_its_errors_log_to_the_cap_over_http(
        stack: RunningStack, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given 600 skus with ordinary 19-character codes, each updated after any cleanup made now (stamped tomorrow)
    monkeypatch.setattr(seed, "STAMPED_FROM", timedelta(days=-1))
    store = RecordsStore(stack.client("dynamodb"), get_settings().records_table)
    tag = seed.seed(DEV_TENANT, skus=MODIFIED_SKUS, associated=False, workers=2, store=store).tag
    codes = [f"SEED-{tag}-{n:07d}" for n in range(MODIFIED_SKUS)]
    codes += [f"NONE-{tag}-{n:07d}" for n in range(VALUES - MODIFIED_SKUS)]
    assert {len(code) for code in codes} == {19}
    # And metadata and a reference at their limits
    metadata = {"note": "x" * (budget.MAX_CLEANUP_METADATA_BYTES - 12)}
    reference = FOUR_BYTES * 252
    api = Api(stack.api_url, stack.token())

    # When a cleanup of the 10,000 codes is created, and runs to its end
    created = api.request("POST", "/api/cleanups", {"data": {"type": "cleanups", "attributes": {
        "resource_type": "skus", "filters": {"code_in": codes}, "metadata": metadata, "reference": reference}}})
    assert created.status_code == 201, created.text[:500]
    final = api.wait_for(created.json()["data"]["id"], timeout=180)

    # Then every record was counted as modified, the log holds the cap's worth, and everything reads back whole
    assert final["records_count"] == final["errors_count"] == MODIFIED_SKUS, final["status"]
    assert len(final["errors_log"]) == 500
    assert set(map(str, final["errors_log"].values())) == {str({"updated_at": [MODIFIED]})}
    assert final["filters"] == {"code_in": codes}
    assert final["metadata"] == metadata and final["reference"] == reference
    listed = api.get("/api/cleanups")["data"]
    assert [c["attributes"]["filters"] for c in listed if c["id"] == created.json()["data"]["id"]] == [
        {"code_in": codes}]
