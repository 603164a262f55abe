"""Retrying a finished cleanup against moto: the stored snapshot, existence read by key, the real worker."""
from __future__ import annotations

from typing import Any

import pytest

from chalicelib import bootstrap, cleanups
from chalicelib.cleanups.adapters.store import DynamoCleanupRepository
from chalicelib.cleanups.exceptions import RetryNotAllowedError
from chalicelib.events import add_recorded
from chalicelib.records import RecordsStore
from chalicelib.tenancy import Tenant
from tests.integration import records_api
from tests.integration.cleanup_helpers import (
    APP_ACTOR,
    RecordingEvents,
    create,
    drain,
    drain_interrupted_in_first_sub_batch,
    ports,
)
from tests.integration.records_helpers import WrappedClient, scan

store = DynamoCleanupRepository(add_recorded)


def interrupted_after_first_sub_batch(tenant: Tenant, events: RecordingEvents,
                                      monkeypatch: pytest.MonkeyPatch) -> Any:
    """A cleanup of every sku, interrupted by a client while its first sub-batch (two skus) was deleting."""
    cleanup = create(tenant, events)
    with monkeypatch.context() as patch:
        drain_interrupted_in_first_sub_batch(cleanup, events, patch)
    return store.get(tenant, cleanup.id)


def test_retry_deletes_what_an_interrupted_cleanup_left_with_its_associated_records(
        records: Any, tenant: Tenant, work_queue: None, events: RecordingEvents,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Given eight skus with prices and stock items, and a cleanup of them interrupted after two were deleted
    for i in range(8):
        records.full_sku(f"DEL{i:03d}")
    original = interrupted_after_first_sub_batch(tenant, events, monkeypatch)
    assert (original.status, original.processed_count) == ("interrupted", 2)
    # When it is retried and the queue drained
    retry = cleanups.create_cleanup(ports(events), tenant, {}, APP_ACTOR, retry_of=original.id)
    drain(events)
    # Then the retry, stored with its original, selected the six left and deleted them with their associated records
    final = store.get(tenant, retry.id)
    assert (final.retry_of, final.resource_type, final.records_count) == (original.id, "skus", 6)
    assert (final.status, final.processed_count, final.errors_count) == ("completed", 6, 0)
    assert records_api.select_ids(tenant, "skus", []) == []
    assert not [key for key in scan() if "#prices" in key[0] or "#stock_items" in key[0]]


def test_existing_ids_reads_the_snapshot_by_key_only(records: Any, tenant: Tenant, work_queue: None) -> None:
    # Given three skus
    kept = [records.sku(f"EX{i}").id for i in range(3)]
    client = WrappedClient(RecordsStore().client)
    # When the existence of two of them and a missing id is checked
    found = records_api.existing_ids(tenant, "skus", [kept[2], "missing000", kept[0]],
                                     store=RecordsStore(client=client))
    # Then the existing ones come back in id order, read by one BatchGetItem (no Query, no Scan)
    assert found == sorted([kept[0], kept[2]])
    assert set(client.calls) == {"batch_get_item"}


def test_retry_of_another_tenants_cleanup_is_refused(records: Any, tenant: Tenant, other_tenant: Tenant,
                                                    work_queue: None, events: RecordingEvents) -> None:
    # Given a finished cleanup of another tenant
    theirs = create(other_tenant, events)
    # When this tenant retries it, then it is refused as if it did not exist
    with pytest.raises(RetryNotAllowedError) as raised:
        cleanups.create_cleanup(ports(events), tenant, {}, APP_ACTOR, retry_of=theirs.id)
    assert raised.value.details[0].pointer == "/data/relationships/retry_of"
    assert cleanups.list_cleanups(bootstrap.ports(), tenant) == []
