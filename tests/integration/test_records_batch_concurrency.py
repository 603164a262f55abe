"""delete_batch with concurrent transactions (DELETE_CONCURRENCY > 1) against moto: per-root failures, crashes.

moto's in-process DynamoDB is not thread-safe (a transaction deep-copies the table): the clients
below hand it one call at a time, while the worker's threads still interleave their transactions.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.records.adapters.store import RecordsStore
from chalicelib.records.archive import decode
from chalicelib.records.batch import MODIFIED
from tests import moto_world
from tests.integration.records_api import delete_batch, update_record
from tests.integration.records_helpers import WrappedClient, scan

KEY = "org-alpha/test/cleanup1/000000.json.gz"
TYPES = ("skus", "prices", "price_volume_tiers", "stock_items", "sku_list_items")
# A full sku is 6 items. Without an archive 16 whole skus go in one 100-action transaction: 60 skus make 4.
# With one, the roots go first with their code guards, 50 to a transaction (2), then the 240 others (3).
SKUS = 60


class Serialized(WrappedClient):
    """Every call reaches moto alone."""

    _lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        with Serialized._lock:
            call = super().__getattr__(name)  # counted under the lock too

        def alone(**kwargs: Any) -> Any:
            with Serialized._lock:
                return call(**kwargs)
        return alone


class OnceBeforeTransactions(Serialized):
    """Runs `meddle()` once, before any TransactWriteItems is sent, whichever thread sends first."""

    def __init__(self, client: Any, meddle: Callable[[], None]) -> None:
        super().__init__(client)
        self._meddle: Callable[[], None] | None = meddle
        self._lock = threading.Lock()
        self.transactions = 0

    def transact_write_items(self, **kwargs: Any) -> Any:
        with self._lock:
            self.transactions += 1
            meddle, self._meddle = self._meddle, None
            if meddle is not None:
                meddle()
        with Serialized._lock:
            return self._client.transact_write_items(**kwargs)


class DiesAfter(Serialized):
    """TransactWriteItems succeeds `allowed` times (across threads), then the worker dies."""

    def __init__(self, client: Any, allowed: int) -> None:
        super().__init__(client)
        self.allowed = allowed
        self._lock = threading.Lock()

    def transact_write_items(self, **kwargs: Any) -> Any:
        with self._lock:
            self.allowed -= 1
            dies = self.allowed < 0
        if dies:
            raise ConnectionError("the worker died")
        with Serialized._lock:
            return self._client.transact_write_items(**kwargs)


def _touch(tenant, *sku_ids: str) -> None:
    time.sleep(0.002)  # timestamps have millisecond precision
    for sku_id in sku_ids:
        update_record(tenant, "skus", sku_id, {"description": "changed"}, {})


def _cutoff() -> str:
    """A cleanup created now: after every record was last written."""
    return max(item["updated_at"]["S"] for item in scan().values() if "updated_at" in item)


def _left() -> set[str]:
    return {sk for _, sk in scan()}


@pytest.fixture
def families(records) -> list[dict[str, str]]:
    """60 full skus, the same for each test: created through the records service once, then copied (moto_world)."""
    return moto_world.kept("60 full skus", lambda: [records.full_sku() for _ in range(SKUS)])


def test_concurrent_delete_batch_keeps_the_roots_modified_in_several_packed_transactions(
        tenant, families, s3_archive):
    # Given 2 packed transactions' worth of roots, and writes to two roots of the first transaction and one
    # of the last landing after the worker read them, before any transaction is sent
    ids = [f["skus"] for f in families]
    modified = [ids[1], ids[5], ids[-1]]
    cutoff = _cutoff()
    client = OnceBeforeTransactions(RecordsStore().client, lambda: _touch(tenant, *modified))
    store = RecordsStore(client=client, concurrency=4)
    # When the batch is deleted with 4 calls at once
    outcome = delete_batch(tenant, "skus", ids, not_modified_after=cutoff, archive=s3_archive,
                           archive_key=KEY, store=store)
    # Then the three are reported modified and kept whole, every other root went with its group
    assert outcome.deleted == [i for i in ids if i not in modified]
    assert outcome.errors == {i: {"updated_at": [MODIFIED]} for i in modified}
    left = _left()
    for family in families:
        kept = family["skus"] in modified
        assert (set(family.values()) <= left) if kept else not (set(family.values()) & left)
    # And the two roots' transactions were sent again without their failed roots (2 + 2), then the
    # associated records of the 57 roots deleted went in 3
    assert client.transactions == 7
    # And the archive lists only what was deleted
    archived = decode(s3_archive.get(KEY) or b"")
    assert [g.id for g in archived.groups] == outcome.deleted and set(archived.modified) == set(modified)


def test_concurrent_delete_batch_crash_strips_no_kept_root_and_the_redelivery_finishes_the_others(
        tenant, families, s3_archive):
    # Given a worker that dies after its first transaction while the others are in flight
    ids = [f["skus"] for f in families]
    cutoff = _cutoff()
    dying = RecordsStore(client=DiesAfter(RecordsStore().client, allowed=1), concurrency=4)
    # When the batch is deleted, and the message redelivered to a healthy worker
    with pytest.raises(ConnectionError):
        delete_batch(tenant, "skus", ids, not_modified_after=cutoff, archive=s3_archive, archive_key=KEY,
                     store=dying)
    left_after_crash = _left()
    outcome = delete_batch(tenant, "skus", ids, not_modified_after=cutoff, archive=s3_archive, archive_key=KEY,
                           store=RecordsStore(client=Serialized(RecordsStore().client), concurrency=4))
    # Then the crash came between the roots and their associated records: one roots' transaction went
    # (50 or 10 roots), and no associated record of any root was deleted before it
    roots_gone = [f for f in families if f["skus"] not in left_after_crash]
    assert len(roots_gone) in (10, 50)
    assert {i for f in families for t, i in f.items() if t != "skus"} <= left_after_crash
    # And the redelivery deleted every record, counting the roots gone already, from the same archive
    assert outcome.deleted == ids and outcome.errors == {}
    assert not {i for f in families for i in f.values()} & _left()
    assert [g.id for g in decode(s3_archive.get(KEY) or b"").groups] == ids


def test_concurrent_delete_batch_reads_and_deletes_what_a_serial_one_does(tenant, families):
    # Given the same records deleted by a store making 4 calls at once
    ids = [f["skus"] for f in families]
    counting = Serialized(RecordsStore().client)
    cutoff = _cutoff()
    # When the batch is deleted
    outcome = delete_batch(tenant, "skus", ids, not_modified_after=cutoff, archive=None, archive_key=None,
                           store=RecordsStore(client=counting, concurrency=4))
    # Then every group is gone, in as many calls as serially: 5 reads (60 keys, 240 in three, 60) and 4 transactions
    assert outcome.deleted == ids
    assert not {i for f in families for i in f.values()} & _left()
    assert counting.calls["batch_get_item"] == 5 and counting.calls["transact_write_items"] == 4
