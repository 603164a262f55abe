"""Webhook targets on the local stack: loopback receivers work, the stack's own services and inside addresses do not."""
from __future__ import annotations

import pytest

from tests.e2e.api import Api


def _create_hook(api: Api, url: str) -> tuple[int, dict]:
    response = api.request("POST", "/api/webhooks", {"data": {"type": "webhooks", "attributes": {
        "topic": "cleanups.create", "callback_url": url}}})
    return response.status_code, response.json()


@pytest.mark.parametrize("url", [
    "https://169.254.169.254/latest/meta-data/",
    "https://10.0.0.1/",
    "https://[fd00:ec2::254]/",
    "https://metadata.google.internal/",
])
def test_webhook_create_refuses_inside_addresses(api, url):
    # When a webhook names an inside address, then it is a 422 on callback_url
    status, document = _create_hook(api, url)
    assert status == 422, document
    assert document["errors"][0]["source"]["pointer"] == "/data/attributes/callback_url"


def test_webhook_create_refuses_the_embedded_aws_port(api, local_stack):
    # Given the local stack's own emulated AWS endpoint, when a webhook points at it
    status, document = _create_hook(api, f"{local_stack.aws_endpoint}/")
    # Then it is refused: loopback is allowed for test receivers, never for the stack's own services
    assert status == 422, document
    assert "belongs to the service itself" in document["errors"][0]["detail"]
