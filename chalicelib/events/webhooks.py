"""Use cases of the webhook resource: create, list, retrieve, update, delete (tenant-scoped)."""
from __future__ import annotations

import secrets
from typing import Any

from chalicelib.config import Settings
from chalicelib.events.adapters import webhook_store
from chalicelib.events.model import Webhook
from chalicelib.events.validation import updated, validate_create, validate_update
from chalicelib.tenancy import Tenant, iso, new_id, now


def _secret() -> str:
    return secrets.token_hex(16)


def create_webhook(tenant: Tenant, attributes: dict[str, Any], settings: Settings) -> Webhook:
    validate_create(attributes, allow_loopback_http=settings.webhook_allow_loopback)
    moment = iso(now())
    webhook = Webhook(
        tenant=tenant, id=new_id(), topic=attributes["topic"], callback_url=attributes["callback_url"],
        shared_secret=_secret(), created_at=moment, updated_at=moment, name=attributes.get("name"),
        include_resources=tuple(attributes.get("include_resources") or ()),
        disabled_at=moment if attributes.get("_disable") else None, reference=attributes.get("reference"),
        reference_origin=attributes.get("reference_origin"), metadata=attributes.get("metadata") or {},
    )
    webhook_store.save_new_webhook(webhook)
    return webhook


def list_webhooks(tenant: Tenant) -> list[Webhook]:
    return webhook_store.list_webhooks(tenant)


def get_webhook(tenant: Tenant, webhook_id: str) -> Webhook:
    return webhook_store.get_webhook(tenant, webhook_id)


def update_webhook(tenant: Tenant, webhook_id: str, attributes: dict[str, Any], settings: Settings) -> Webhook:
    validate_update(attributes, allow_loopback_http=settings.webhook_allow_loopback)
    before = webhook_store.get_webhook(tenant, webhook_id)
    after = updated(before, attributes, iso(now()), _secret())
    return webhook_store.update_webhook(before, after)


def delete_webhook(tenant: Tenant, webhook_id: str) -> None:
    webhook_store.delete_webhook(tenant, webhook_id)
