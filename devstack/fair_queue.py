"""SQS fair queues' delivery order for the local pollers of one queue.

On AWS a standard queue whose messages carry a `MessageGroupId` is a fair queue: when one group
(here a tenant) has many messages in flight, SQS returns the other groups' messages first, so a
quiet tenant's message is not delivered after a noisy tenant's whole backlog. Nothing is held
back: the order changes, not what is delivered. moto hands messages out strictly oldest first and
ignores the group.

`FairQueue` emulates the order with a look-ahead shared by the pollers of one source: it receives
up to `look_ahead` messages ahead of the pollers, and each poller takes its batch from them with
`fair_order`: the group with the fewest messages in flight (taken by a poller and not yet finished)
first, the oldest message among equals. Messages without a group form one group. A held message
stays invisible by having its visibility extended (not released: every receive would count towards
the queue's `maxReceiveCount` and could redrive a message never handled), and once more when a
poller takes it, so the handler gets the whole visibility timeout, as the timeout starts at
delivery on AWS. `release_all` makes what is still held visible again (on stop). Beyond the
look-ahead the order is moto's: a backlog longer than it hides the messages behind it.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

LOOK_AHEAD = 300  # messages received ahead of the pollers at most
MAX_RECEIVE = 10  # SQS's cap per ReceiveMessage call and per batch request
_REFRESH_ON_TAKE_SECONDS = 1.0  # held longer than this: the taker gets a fresh visibility timeout


def fair_order(groups: Sequence[str], in_flight: Mapping[str, int], count: int) -> list[int]:
    """Positions (into `groups`, oldest first) of the next `count` messages to deliver.

    Each pick goes to the group with the fewest messages in flight, the oldest message among
    equals; a picked message counts as in flight for the picks after it.
    """
    load = dict(in_flight)
    remaining = list(range(len(groups)))
    picked: list[int] = []
    while remaining and len(picked) < count:
        best = min(remaining, key=lambda position: (load.get(groups[position], 0), position))
        remaining.remove(best)
        picked.append(best)
        load[groups[best]] = load.get(groups[best], 0) + 1
    return picked


def group_of(message: Mapping[str, Any]) -> str:
    """The message's `MessageGroupId` (received with MessageSystemAttributeNames All); "" without one."""
    return str(message.get("Attributes", {}).get("MessageGroupId", ""))


@dataclass
class _Held:
    message: dict[str, Any]
    since: float  # when its visibility timeout last started


class FairQueue:
    """The look-ahead of one queue, shared by its pollers: `take` a batch, `finished` when handled."""

    def __init__(self, sqs: Any, queue_url: str, visibility_timeout: int, look_ahead: int = LOOK_AHEAD) -> None:
        self._sqs = sqs
        self._url = queue_url
        self._timeout = visibility_timeout
        self._look_ahead = look_ahead
        self._lock = threading.Lock()
        self._held: dict[str, _Held] = {}  # by MessageId, in the order received (oldest first)
        self._in_flight: dict[str, int] = {}

    def take(self, count: int, wait: int) -> list[dict[str, Any]]:
        """Up to `count` messages in fair order; long-polls up to `wait` s when none is held."""
        with self._lock:
            self._sweep()
            self._fill()
            batch = self._pick(count)
        if batch or wait <= 0:
            return batch
        received = self._receive(wait)  # outside the lock: the other pollers keep taking meanwhile
        with self._lock:
            self._hold(received)
            return self._pick(count)

    def finished(self, messages: Sequence[Mapping[str, Any]]) -> None:
        """The handler is done with `messages` (deleted or left for retry): their groups' load drops."""
        with self._lock:
            for message in messages:
                group = group_of(message)
                self._in_flight[group] -= 1
                if not self._in_flight[group]:
                    del self._in_flight[group]

    def keep_invisible(self) -> None:
        """Extend the visibility of messages held past half the timeout, before it runs out."""
        with self._lock:
            self._sweep()

    def release_all(self) -> None:
        """Make every held message visible again (the pollers are stopping)."""
        with self._lock:
            held, self._held = list(self._held.values()), {}
        self._change_visibility([item.message for item in held], 0)

    def _sweep(self) -> None:
        now = time.monotonic()
        self._refresh([held for held in self._held.values() if now - held.since >= self._timeout / 2])

    def _fill(self) -> None:
        while len(self._held) < self._look_ahead:
            received = self._receive(0)
            self._hold(received)
            if len(received) < MAX_RECEIVE:
                return

    def _receive(self, wait: int) -> list[dict[str, Any]]:
        response = self._sqs.receive_message(
            QueueUrl=self._url, MaxNumberOfMessages=MAX_RECEIVE, WaitTimeSeconds=wait,
            MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"],
        )
        messages: list[dict[str, Any]] = response.get("Messages", [])
        return messages

    def _hold(self, messages: Sequence[dict[str, Any]]) -> None:
        now = time.monotonic()
        for message in messages:
            # A message seen again (its visibility ran out) is held once, with its newest receipt handle.
            self._held.pop(message["MessageId"], None)
            self._held[message["MessageId"]] = _Held(message, now)

    def _pick(self, count: int) -> list[dict[str, Any]]:
        held = list(self._held.values())
        chosen = [held[position] for position in fair_order([group_of(h.message) for h in held],
                                                             self._in_flight, count)]
        self._refresh([item for item in chosen if time.monotonic() - item.since >= _REFRESH_ON_TAKE_SECONDS])
        for item in chosen:
            del self._held[item.message["MessageId"]]
            group = group_of(item.message)
            self._in_flight[group] = self._in_flight.get(group, 0) + 1
        return [item.message for item in chosen]

    def _refresh(self, held: Sequence[_Held]) -> None:
        self._change_visibility([item.message for item in held], self._timeout)
        now = time.monotonic()
        for item in held:
            item.since = now

    def _change_visibility(self, messages: Sequence[Mapping[str, Any]], seconds: int) -> None:
        for start in range(0, len(messages), MAX_RECEIVE):
            chunk = messages[start:start + MAX_RECEIVE]
            response = self._sqs.change_message_visibility_batch(QueueUrl=self._url, Entries=[
                {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"], "VisibilityTimeout": seconds}
                for index, message in enumerate(chunk)
            ])
            for failed in response.get("Failed", []):
                logger.warning("visibility of %s not changed: %s", chunk[int(failed["Id"])]["MessageId"],
                               failed.get("Message"))
