"""Root groups and how they are packed into DynamoDB transactions (pure).

A group is one root record with everything that is deleted (or restored) with
it: its associated records of every generation and the unique guards of all
of them. A group goes into one transaction whenever it fits in one
(`TRANSACT_LIMIT` actions); several groups share a transaction up to that limit.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib.records.items import Item, Key, is_guard_key

TRANSACT_LIMIT = 100
CONDITION_FAILED = "ConditionalCheckFailed"
# Cancellation reasons that say "try again later", not "your condition is false".
RETRYABLE_REASONS = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded",
                               "RequestLimitExceeded"})


@dataclass(frozen=True)
class Group:
    """A root's stored images: `root`, its associated `records` (every generation), their `guards`."""

    type: str
    id: str
    root: Item
    records: tuple[Item, ...] = ()
    guards: tuple[Item, ...] = ()

    @property
    def items(self) -> list[Item]:
        return [self.root, *self.records, *self.guards]

    @classmethod
    def of_items(cls, type_name: str, record_id: str, items: Sequence[Item]) -> Group:
        """The inverse of `items`: the root first, guards told apart by their key."""
        root, *rest = items
        return cls(type_name, record_id, root, tuple(i for i in rest if not is_guard_key(i)),
                   tuple(i for i in rest if is_guard_key(i)))


@dataclass(frozen=True)
class Reason:
    """Why one action of a cancelled transaction failed; `code` is "None" for an action that did not."""

    code: str
    item: Item | None = None


def key_of(item: Mapping[str, Any]) -> Key:
    return {"pk": item["pk"], "sk": item["sk"]}


def key_id(item: Mapping[str, Any]) -> tuple[str, str]:
    return item["pk"]["S"], item["sk"]["S"]


def pack(groups: Sequence[Group], limit: int = TRANSACT_LIMIT) -> Iterator[list[Group]]:
    """Consecutive groups, as many per transaction as fit in `limit` actions; a group is never split across two."""
    current: list[Group] = []
    used = 0
    for group in groups:
        needed = min(len(group.items), limit)
        if current and used + needed > limit:
            yield current
            current, used = [], 0
        current.append(group)
        used += needed
    if current:
        yield current


def chunked(items: Sequence[Any], limit: int = TRANSACT_LIMIT) -> list[list[Any]]:
    """`items` in consecutive runs of at most `limit` (by default a transaction's worth)."""
    return [list(items[start:start + limit]) for start in range(0, len(items), limit)]


def split(group: Group, limit: int = TRANSACT_LIMIT) -> tuple[list[Item], list[list[Item]]]:
    """(the root's chunk, the other chunks): the root with its guards first, filled up with associated records.

    Only a group of more than `limit` items has other chunks; those cannot share the root's transaction.
    """
    head = [group.root, *group.guards]
    room = max(0, limit - len(head))
    records = list(group.records)
    rest = records[room:]
    return head + records[:room], chunked(rest, limit)


def failed_conditions(reasons: Sequence[Reason]) -> list[int]:
    """Indexes of the actions whose condition did not hold."""
    return [i for i, reason in enumerate(reasons) if reason.code == CONDITION_FAILED]


def only_retryable(reasons: Sequence[Reason]) -> bool:
    """True when nothing failed but conflicts or throttling: the same transaction may simply be sent again."""
    codes = {r.code for r in reasons} - {"None"}
    return bool(codes) and codes <= RETRYABLE_REASONS


def cancellation_reasons(error_response: Mapping[str, Any]) -> list[Reason]:
    """The per-action reasons of a TransactionCanceledException's parsed error response."""
    return [Reason(r.get("Code", "None"), r.get("Item")) for r in error_response.get("CancellationReasons", [])]


def same_image(stored: Mapping[str, Any], archived: Mapping[str, Any]) -> bool:
    """Equal items, sets compared as sets (DynamoDB does not keep a set's order)."""
    return _normal(stored) == _normal(archived)


def _normal(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: sorted(v) if k in ("SS", "NS", "BS") else _normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return value
