"""Retention on DynamoDB (moto): what a cleanup leaves carries `expires_at`, and expired cleanups leave the lists."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from chalicelib.cleanups import CREATED_AT, WORKER, Listing
from chalicelib.cleanups.adapters.store import DynamoCleanupRepository
from chalicelib.cleanups.domain.model import complete, start
from chalicelib.cleanups.domain.retention import expires_at, midnight_after
from chalicelib.config import get_settings
from chalicelib.events import add_recorded, expire_recorded
from chalicelib.events.model import recorded_change
from chalicelib.tenancy import iso
from tests.integration.test_cleanup_listing_contract import TENANT, move, new, save

DAY = 86400


def items_of(table: str, cleanup_id: str) -> list[dict[str, Any]]:
    """Every stored item about the cleanup: itself, its snapshot, both copies of its events and versions."""
    found = boto3.client("dynamodb").scan(TableName=table)["Items"]
    return [i for i in found if cleanup_id in i["pk"]["S"] or i["sk"]["S"] == cleanup_id
            or i.get("resource_id", {}).get("S") == cleanup_id]


def test_finished_cleanup_and_what_it_leaves_expire_after_retention_never_before_its_restore_window(
        tables: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a retention of 7 days, and a cleanup run to completion whose restore window is longer (created while the
    # window was 30 days: the settings now keep at most 7, the retention's least)
    monkeypatch.setenv("CLEANUP_RETENTION_DAYS", "7")
    monkeypatch.setenv("RESTORE_WINDOW_DAYS", "7")
    repository = DynamoCleanupRepository(add_recorded, expire_recorded)
    cleanup = new(1, restore_window_days=30)
    save(repository, cleanup)
    now = datetime.now(UTC)
    running = move(repository, cleanup, start(cleanup, now))
    done = move(repository, running, complete(running, now))
    # When its items are read back
    stored = items_of(tables["CLEANUPS_TABLE"], cleanup.id)
    # Then each expires, the cleanup when its restore window ends (rounded up to midnight UTC), its events
    # and versions with it, its snapshot within a day of it
    expiry = expires_at(done, 7)
    assert expiry == midnight_after(now, 30) and now.timestamp() + 30 * DAY <= expiry
    kinds = {"cleanup" if i["sk"]["S"] == cleanup.id else "snapshot" if "#cleanup#" in i["pk"]["S"] else "reported"
             for i in stored}
    assert kinds == {"cleanup", "snapshot", "reported"} and all("expires_at" in i for i in stored)
    assert {int(i["expires_at"]["N"]) for i in stored if "#cleanup#" not in i["pk"]["S"]} == {expiry}
    assert all(expiry - DAY <= int(i["expires_at"]["N"]) <= expiry for i in stored)


def test_cleanup_finished_days_after_it_began_stamps_its_expiry_on_what_it_reported_earlier(
        tables: dict[str, str]) -> None:
    # Given a cleanup created and begun three days ago (its events and versions written then), completed now
    repository = DynamoCleanupRepository(add_recorded, expire_recorded)
    began = datetime.now(UTC) - timedelta(days=3)
    cleanup = new(2, created_at=iso(began), updated_at=iso(began))
    save(repository, cleanup)
    running = move(repository, cleanup, start(cleanup, began))
    done = move(repository, running, complete(running, datetime.now(UTC)))
    # When its reported items are read back
    reported = [i for i in items_of(tables["CLEANUPS_TABLE"], cleanup.id)
                if i["sk"]["S"] != cleanup.id and "#cleanup#" not in i["pk"]["S"]]
    # Then every copy, both the earlier ones and the last, expires with the cleanup
    assert len(reported) >= 6
    assert {int(i["expires_at"]["N"]) for i in reported} == {expires_at(done, get_settings().cleanup_retention_days)}


def test_expired_cleanups_are_neither_listed_nor_counted_until_ttl_removes_them(tables: dict[str, str]) -> None:
    # Given two finished cleanups, one of them past its retention (TTL has not removed it yet)
    repository = DynamoCleanupRepository(add_recorded)
    old = datetime.now(UTC) - timedelta(days=get_settings().cleanup_retention_days + 2)
    for number, moment in ((1, old), (2, datetime.now(UTC))):
        cleanup = new(number, created_at=iso(moment), updated_at=iso(moment), reference="same")
        save(repository, cleanup)
        after = complete(cleanup, moment)
        repository.transition(cleanup, after, recorded_change(cleanup, after, WORKER, after.updated_at))
    # When pages are read, by every key
    pages = [repository.page(TENANT, Listing(offset=0, limit=25, **keys))
             for keys in ({}, {"status": "completed"}, {"reference": "same"}, {"by": CREATED_AT},
                          {"by": CREATED_AT, "descending": True})]
    # Then only the live one is listed and counted
    assert [([c.id for c in page], total) for page, total in pages] == [(["cln0000002"], 1)] * 5
