"""`dynamo.Transaction` without a table: which named action a cancellation blames, and what is retried.

The connection's `transact_write_items` is replaced by a script of answers, as DynamoDB would give them.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pynamodb.connection import Connection
from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError

from chalicelib import dynamo
from chalicelib.dynamo import ServiceItem, Transaction, bind


class Script:
    """Answers to successive TransactWriteItems calls: None commits, a list of codes cancels."""

    def __init__(self, *answers: list[str | None] | None) -> None:
        self.answers, self.sent = list(answers), []

    def __call__(self, **kwargs: Any) -> dict[str, Any]:
        self.sent.append(kwargs)
        codes = self.answers.pop(0)
        if codes is None:
            return {}
        reasons = [CancellationReason(code) if code else None for code in codes]
        cause = VerboseClientError({"Error": {"Code": "TransactionCanceledException", "Message": "cancelled"}},
                                   "TransactWriteItems", cancellation_reasons=reasons)
        raise TransactWriteError("Failed to write transaction items", cause)


@pytest.fixture
def script(monkeypatch: pytest.MonkeyPatch) -> Iterator[Script]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setattr(dynamo.time, "sleep", lambda _: None)
    answers = Script()
    monkeypatch.setattr(Connection, "transact_write_items", lambda self, **kwargs: answers(**kwargs))
    yield answers


def transaction() -> Transaction:
    """A delete, a put and an update, added in another order than PynamoDB sends them."""
    model = bind(ServiceItem, "unit-table")
    written = Transaction()
    written.update(model("p", "slots"), [model.sk.set("x")], name="slots")
    written.put(model("p", "cleanup"), condition=model.sk.does_not_exist(), name="cleanup")
    written.delete(model("p", "old"), name="old")
    return written


def test_transaction_names_the_actions_whose_condition_failed_in_the_order_dynamodb_reports(script: Script) -> None:
    # Given DynamoDB cancelling with the third action's condition failed (sent as delete, put, update)
    script.answers = [[None, None, "ConditionalCheckFailed"]]
    # When the transaction commits / Then it names the update, added first
    assert transaction().commit() == {"slots"}
    assert len(script.sent) == 1


def test_transaction_sends_again_after_a_conflict_with_a_fresh_token(script: Script) -> None:
    # Given a conflict, then throttling, then success
    script.answers = [["TransactionConflict", None, None], [None, "ThrottlingError", None], None]
    # When the transaction commits / Then it was written on the third attempt, each with its own token
    assert transaction().commit() == set()
    assert len({call["client_request_token"] for call in script.sent}) == 3


def test_transaction_raises_on_a_cancellation_that_is_neither_a_condition_nor_a_conflict(script: Script) -> None:
    # Given a cancellation for a reason no retry fixes
    script.answers = [[None, "ValidationError", None]]
    # When the transaction commits / Then it raises
    with pytest.raises(RuntimeError, match="ValidationError"):
        transaction().commit()
