"""How long a cleanup and what it leaves behind are kept, and the count bucket it sits in: pure.

A finished cleanup expires `max(retention, its restore window)` days after its terminal
moment, rounded up to the next midnight UTC. What it leaves is written with the same number
of days from its own writing (`written_expiry`), so nothing is ever kept forever; the write
that finishes the cleanup then stamps the cleanup's expiry on the events and versions written
while it ran (`chalicelib.events.adapters.store.expire_recorded`), and those written later expire
later than it anyway. The snapshot keeps its written expiry: it is read only while the
cleanup is active. DynamoDB TTL removes an item some time after `expires_at` (within days):
the list reads skip what has expired.

Count buckets: each stored cleanup counts once in the bucket `<status>#<expiry day>` (`-`
while active, which never expires), so a tenant's total, or one status's, is the sum of
the buckets whose day has not passed: bounded by statuses times retention days, not by
history.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.cleanups.domain.model import COMPLETED, TERMINAL, Cleanup
from chalicelib.tenancy import parse_iso

NEVER = "-"  # the expiry day of an active cleanup's bucket


def midnight_after(moment: datetime, days: int) -> int:
    """Epoch seconds of the first midnight UTC at or after `moment + days`."""
    later = (moment + timedelta(days=days)).astimezone(UTC)
    day = datetime(later.year, later.month, later.day, tzinfo=UTC)
    return int((day if day == later else day + timedelta(days=1)).timestamp())


def written_expiry(written_at: str, retention_days: int) -> int:
    """When an item written at `written_at` (ISO) about a cleanup expires."""
    return midnight_after(parse_iso(written_at), retention_days)


def expires_at(cleanup: Cleanup, retention_days: int) -> int | None:
    """When a finished cleanup expires; None while it is active (it never does)."""
    ended = cleanup.completed_at if cleanup.status == COMPLETED else cleanup.interrupted_at
    if cleanup.status not in TERMINAL or ended is None:
        return None
    return midnight_after(parse_iso(ended), max(retention_days, cleanup.restore_window_days))


def bucket(cleanup: Cleanup, retention_days: int) -> str:
    """The count bucket the stored cleanup sits in."""
    expiry = expires_at(cleanup, retention_days)
    return f"{cleanup.status}#{NEVER if expiry is None else expiry}"
