"""Newest-first and oldest-first pages of cleanups over HTTP on the local stack (DynamoDB Local's `created_at` index).

A tenant of its own (an application of a fresh organization), so no other test's cleanups join its
list; sixty cleanups created over HTTP, read back in pages of 25 both ways.
"""
from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib import aws, dynamo
from chalicelib.auth.applications import create_application
from chalicelib.cleanups import CREATED_AT
from chalicelib.config import get_settings
from tests.e2e import RunningStack
from tests.e2e.api import Api

COUNT = 60
SIZE = 25


@pytest.fixture
def own_tenant(local_stack: RunningStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    """The API as an application of a fresh organization (stored in the stack's applications table)."""
    for name, value in local_stack.env.items():
        monkeypatch.setenv(name, value)
    aws.forget_clients()
    dynamo.forget_models()
    org = f"ListsOrg{secrets.token_hex(3)}"
    application, secret = create_application(organization={"id": org, "slug": org.lower(), "name": org},
                                             name="lists-e2e", kind="integration", mode="test")
    yield Api(local_stack.api_url, local_stack.token(application.client_id, secret))
    aws.forget_clients()
    dynamo.forget_models()


def pages(api: Api, sort: str) -> list[dict[str, Any]]:
    """Every page of the tenant's cleanups in `sort` order, as the API answers them."""
    first = api.get("/api/cleanups", sort=sort, **{"page[size]": str(SIZE)})
    return [first, *(api.get("/api/cleanups", sort=sort, **{"page[size]": str(SIZE), "page[number]": str(n)})
                     for n in range(2, int(first["meta"]["page_count"]) + 1))]


def test_sixty_cleanups_page_newest_and_oldest_first_each_exactly_once_in_order(
        own_tenant: Api, local_stack: RunningStack) -> None:
    # Given the stack's cleanups table with its created_at index, as the template declares it
    table = local_stack.client("dynamodb").describe_table(TableName=get_settings().cleanups_table)["Table"]
    assert {i["IndexName"]: i["IndexStatus"] for i in table["GlobalSecondaryIndexes"]}[CREATED_AT] == "ACTIVE"
    # and sixty cleanups created over HTTP (each matches nothing: born completed), some perhaps in one millisecond
    created = [own_tenant.create("cleanups", {"resource_type": "skus", "filters": {"code_eq": f"none-{n}"}})
               for n in range(COUNT)]
    by_id = sorted(created, key=lambda c: c["id"])
    for descending, sort in ((True, "-created_at"), (False, "created_at")):
        # When every page of 25 is read in that order
        answered = pages(own_tenant, sort)
        # Then the pages hold every cleanup exactly once, by created_at (ties by id), with the usual meta and links
        listed = [item["id"] for page in answered for item in page["data"]]
        expected = sorted(by_id, key=lambda c: c["attributes"]["created_at"], reverse=descending)
        assert listed == [c["id"] for c in expected]
        assert [len(page["data"]) for page in answered] == [25, 25, 10]
        assert {(page["meta"]["record_count"], page["meta"]["page_count"]) for page in answered} == {(60, 3)}
        assert set(answered[0]["links"]) == {"first", "next", "last"}
        assert set(answered[2]["links"]) == {"first", "prev", "last"}
