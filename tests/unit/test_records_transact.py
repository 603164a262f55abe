"""Pure parts of atomic deletes and restores: packing, cancellation reasons, archives, conflicts."""
from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.exceptions import TooManyRequestsError
from chalicelib.records.adapters.store import RecordsStore, TransactionCancelled
from chalicelib.records.archive import ArchivedBatch, archive_key, decode, encode
from chalicelib.records.items import guard_key, record_key
from chalicelib.records.restore import ALREADY_EXISTS, conflict_errors
from chalicelib.records.transact import (
    Group,
    Reason,
    cancellation_reasons,
    failed_conditions,
    only_retryable,
    pack,
    same_image,
    split,
)
from chalicelib.tenancy import Tenant
from tests.unit.fakes import MemoryArchive

TENANT = Tenant("org", "test")


def _record(type_name: str, record_id: str, **attributes: str) -> dict[str, Any]:
    return {**record_key(TENANT, type_name, record_id), "id": {"S": record_id},
            **{k: {"S": v} for k, v in attributes.items()}}


def _guard(code: str, record_id: str) -> dict[str, Any]:
    return {**guard_key(TENANT, "skus", "code", code), "record_id": {"S": record_id}}


def _group(record_id: str, children: int) -> Group:
    records = tuple(_record("prices", f"{record_id}-{n}") for n in range(children))
    guards = (_guard(record_id, record_id),)
    return Group("skus", record_id, _record("skus", record_id, code=record_id), records, guards)


def test_pack_fills_transactions_up_to_the_limit_without_splitting_a_group():
    # Given groups of 6, 6, 3 and 2 items, and transactions of at most 12 actions
    groups = [_group("a", 4), _group("b", 4), _group("c", 1), _group("d", 0)]
    # When they are packed
    packed = [[g.id for g in transaction] for transaction in pack(groups, limit=12)]
    # Then consecutive groups share a transaction while they fit
    assert packed == [["a", "b"], ["c", "d"]]


def test_pack_gives_an_oversized_group_a_transaction_of_its_own():
    groups = [_group("a", 1), _group("big", 20), _group("b", 1)]
    assert [[g.id for g in t] for t in pack(groups, limit=10)] == [["a"], ["big"], ["b"]]


def test_split_puts_the_root_and_its_guards_first_and_chunks_the_rest():
    # Given a group of a root, a guard and 20 associated records
    group = _group("big", 20)
    # When it is split into chunks of 10
    head, tails = split(group, limit=10)
    # Then the root's chunk holds the root, its guard and 8 records; the other 12 follow in chunks
    assert head[0] is group.root and head[1] == group.guards[0] and len(head) == 10
    assert [len(t) for t in tails] == [10, 2]
    assert [i["sk"] for i in head[2:] + tails[0] + tails[1]] == [r["sk"] for r in group.records]


def test_split_keeps_a_group_that_fits_whole():
    group = _group("a", 3)
    head, tails = split(group)
    assert tails == [] and len(head) == len(group.items) and all(item in head for item in group.items)


def test_cancellation_reasons_align_with_the_actions():
    # Given a cancelled transaction's error response, as botocore parses it
    response = {"Error": {"Code": "TransactionCanceledException"},
                "CancellationReasons": [{"Code": "None"}, {"Code": "ConditionalCheckFailed", "Item": {"a": {"S": "1"}}},
                                        {"Code": "TransactionConflict"}]}
    # When its reasons are read
    reasons = cancellation_reasons(response)
    # Then each action has its reason, the failed condition its current item
    assert reasons == [Reason("None"), Reason("ConditionalCheckFailed", {"a": {"S": "1"}}),
                       Reason("TransactionConflict")]
    assert failed_conditions(reasons) == [1] and not only_retryable(reasons)


def test_only_retryable_is_true_for_conflicts_and_throttling_alone():
    assert only_retryable([Reason("None"), Reason("TransactionConflict"), Reason("ThrottlingError")])
    assert not only_retryable([Reason("None"), Reason("ValidationError")])
    assert not only_retryable([Reason("None")])


def test_same_image_ignores_the_order_of_a_set():
    stored = {"children": {"SS": ["b", "a"]}, "n": {"N": "1"}}
    assert same_image(stored, {"children": {"SS": ["a", "b"]}, "n": {"N": "1"}})
    assert not same_image(stored, {"children": {"SS": ["a"]}, "n": {"N": "1"}})


def test_archive_round_trips_groups_and_modified_ids_byte_stably():
    # Given an archived batch of two roots, one id modified
    batch = ArchivedBatch(TENANT, "skus", (_group("a", 2), _group("b", 0)), ("c",))
    archive = MemoryArchive()
    key = archive_key(TENANT, "cleanupid", 7)
    # When it is written and read back
    archive.put(key, encode(batch))
    # Then it is the same batch, the key is the documented one, and encoding again gives the same bytes
    assert decode(archive.objects[key]) == batch
    assert key == "org/test/cleanupid/000007.json.gz"
    assert encode(decode(archive.objects[key])) == archive.objects[key]


def test_archived_batch_without_moves_roots_to_modified():
    batch = ArchivedBatch(TENANT, "skus", (_group("a", 0), _group("b", 0)), ("c",))
    assert batch.without({"a"}) == ArchivedBatch(TENANT, "skus", (_group("b", 0),), ("c", "a"))


def test_conflict_errors_name_the_taken_attribute_or_the_id():
    conflicts = [_guard("x", "other"), _record("skus", "a"), _record("prices", "p")]
    assert conflict_errors(conflicts) == {"code": ["has already been taken"], "id": [ALREADY_EXISTS]}


class TransactClient:
    """Answers TransactWriteItems with the given errors first, then succeeds."""

    def __init__(self, *errors: dict[str, Any]) -> None:
        self.errors = list(errors)
        self.requests: list[list[Any]] = []

    def transact_write_items(self, TransactItems: list[Any]) -> dict[str, Any]:  # noqa: N803
        self.requests.append(TransactItems)
        if self.errors:
            raise ClientError(self.errors.pop(0), "TransactWriteItems")
        return {}


def _cancelled(*codes: str) -> dict[str, Any]:
    return {"Error": {"Code": "TransactionCanceledException"}, "CancellationReasons": [{"Code": c} for c in codes]}


def test_transact_write_names_the_table_and_retries_conflicts_with_backoff():
    client, sleeps = TransactClient(_cancelled("TransactionConflict", "None"),
                                    {"Error": {"Code": "ThrottlingException"}}), []
    RecordsStore(client, "t", sleep=sleeps.append).transact_write([{"Delete": {"Key": {"pk": {"S": "p"}}}}])
    assert len(client.requests) == 3 and len(sleeps) == 2
    assert client.requests[0] == [{"Delete": {"TableName": "t", "Key": {"pk": {"S": "p"}}}}]


def test_transact_write_raises_the_reasons_of_a_failed_condition():
    client = TransactClient(_cancelled("None", "ConditionalCheckFailed"))
    with pytest.raises(TransactionCancelled) as raised:
        RecordsStore(client, "t").transact_write([{"Delete": {}}, {"Delete": {}}])
    assert failed_conditions(raised.value.reasons) == [1]


def test_transact_write_gives_up_on_endless_conflicts():
    client = TransactClient(*[_cancelled("TransactionConflict")] * 20)
    with pytest.raises(TooManyRequestsError):
        RecordsStore(client, "t", sleep=lambda _: None).transact_write([{"Delete": {}}])
