"""Webhook targets over the HTTP API (Chalice's test client on moto): every inside form is a 422 on callback_url."""
from __future__ import annotations

import json
from typing import Any

from chalice.test import Client

from tests.conftest import JWT_SECRET as SECRET
from tests.factories import headers, resource_body, token

POINTER = "/data/attributes/callback_url"
REFUSED = [
    "https://2130706433/", "https://0x7f000001/", "https://127.1/", "https://0177.0.0.1/", "https://127.0.0.1./",
    "https://0xa9fea9fe/latest/meta-data/", "https://10.1/",
    "https://[64:ff9b::7f00:1]/", "https://[64:ff9b::a9fe:a9fe]/", "https://[64:ff9b:1::a00:1]/",
    "https://[2002:7f00:1::]/", "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
    "https://[::127.0.0.1]/", "https://[::ffff:127.0.0.1]/", "https://[::ffff:0:a00:1]/",
    "https://user:pw@example.com/", "https://user@example.com/",
    "https://\uff11\uff12\uff17.\uff10.\uff10.\uff11/", "https://[::1/",
]


def auth() -> dict[str, str]:
    return headers(token(SECRET))


def errors(response: Any) -> list[dict[str, Any]]:
    parsed = json.loads(response.body)
    assert set(parsed) == {"errors"}, parsed
    return list(parsed["errors"])


def create(client: Client, url: str) -> Any:
    body = resource_body("webhooks", {"topic": "cleanups.create", "callback_url": url})
    return client.http.post("/api/webhooks", headers=auth(), body=body)


def refusal(response: Any) -> str | None:
    """None when the response is a 422 pointing at callback_url only; else what it was."""
    if response.status_code == 422 and [error.get("source") for error in errors(response)] == [{"pointer": POINTER}]:
        return None
    return f"{response.status_code} {response.body[:200]!r}"


def test_webhook_create_refuses_an_inside_target_in_any_spelling_with_the_pointer(client: Client) -> None:
    # Given callback URLs that reach inside, or carry credentials (one moto stack for all: each costs seconds)
    # When a webhook is created with each
    answers = {url: refusal(create(client, url)) for url in REFUSED}

    # Then each is a 422 pointing at callback_url, and no webhook exists
    assert {url: answer for url, answer in answers.items() if answer is not None} == {}
    assert json.loads(client.http.get("/api/webhooks", headers=auth()).body)["data"] == []


def test_webhook_update_refuses_an_inside_target_with_the_pointer(client: Client) -> None:
    # Given a webhook to a public host
    created = create(client, "https://example.com/hooks")
    assert created.status_code == 201, created.body
    webhook_id = json.loads(created.body)["data"]["id"]

    # When its callback URL is changed to each inside one
    def update(url: str) -> Any:
        body = resource_body("webhooks", {"callback_url": url}, id_=webhook_id)
        return client.http.patch(f"/api/webhooks/{webhook_id}", headers=auth(), body=body)
    answers = {url: refusal(update(url)) for url in REFUSED}

    # Then each is a 422 pointing at callback_url, and the URL is unchanged
    assert {url: answer for url, answer in answers.items() if answer is not None} == {}
    shown = json.loads(client.http.get(f"/api/webhooks/{webhook_id}", headers=auth()).body)["data"]
    assert shown["attributes"]["callback_url"] == "https://example.com/hooks"


def test_webhook_create_accepts_a_public_https_target(client: Client) -> None:
    # Given a public https URL / When a webhook is created with it / Then it is stored as written
    response = create(client, "https://hooks.example.com/cleanups")
    assert response.status_code == 201, response.body
    assert json.loads(response.body)["data"]["attributes"]["callback_url"] == "https://hooks.example.com/cleanups"
