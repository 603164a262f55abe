"""Retention and count buckets: pure arithmetic on the cleanup's terminal moment."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from chalicelib.cleanups.domain.model import Cleanup, complete, interrupt
from chalicelib.cleanups.domain.retention import NEVER, bucket, expires_at, midnight_after, written_expiry
from chalicelib.tenancy import Tenant

MOMENT = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)


def cleanup(**changes: object) -> Cleanup:
    made = Cleanup(tenant=Tenant("org", "test"), id="cln0000001", resource_type="skus", filters={},
                   created_at="2026-03-01T10:00:00.000Z", updated_at="2026-03-01T10:00:00.000Z")
    return replace(made, **changes)


def test_midnight_after_rounds_up_to_the_next_utc_midnight_and_keeps_an_exact_one() -> None:
    # Given a moment in the afternoon and one exactly at midnight
    midnight = datetime(2026, 3, 11, tzinfo=UTC)
    # When each is moved on ten days
    # Then the afternoon rounds up to the following midnight, the midnight stays
    assert midnight_after(MOMENT, 10) == int((midnight + timedelta(days=1)).timestamp())
    assert midnight_after(datetime(2026, 3, 1, tzinfo=UTC), 10) == int(midnight.timestamp())


def test_active_cleanup_never_expires_and_sits_in_its_status_bucket() -> None:
    # Given a pending cleanup
    # When its expiry and bucket are asked
    # Then it has none and its bucket never expires
    assert expires_at(cleanup(), 7) is None and bucket(cleanup(), 7) == f"pending#{NEVER}"


def test_finished_cleanup_expires_after_retention_or_its_restore_window_whichever_is_later() -> None:
    # Given a cleanup completed and one interrupted, with a 30-day restore window
    done, stopped = complete(cleanup(restore_window_days=30), MOMENT), interrupt(cleanup(), MOMENT)
    # When retention is shorter, then longer, than the window
    # Then the window wins when longer, retention otherwise; the bucket names the status and the day
    assert expires_at(done, 7) == midnight_after(MOMENT, 30)
    assert expires_at(done, 400) == midnight_after(MOMENT, 400) == expires_at(stopped, 400)
    assert bucket(done, 400) == f"completed#{midnight_after(MOMENT, 400)}"


def test_written_items_expire_retention_days_after_they_were_written() -> None:
    # Given an item written at a moment
    # When its expiry is asked
    # Then it is that moment plus the days, rounded up to midnight
    assert written_expiry("2026-03-01T15:30:00.000Z", 30) == midnight_after(MOMENT, 30)
