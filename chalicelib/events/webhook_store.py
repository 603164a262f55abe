"""DynamoDB adapter for webhooks and their event callbacks (PynamoDB, the cleanups table).

Webhook updates set only the attributes that changed, and the failure counter
moves by atomic ADDs: a PATCH and a delivery never overwrite each other.
Callbacks are stored in the tenant's partition and, keyed newest-last by time,
under their webhook and their event; they expire with the table's TTL.
"""
from __future__ import annotations

import time
from typing import Any

from pynamodb.attributes import JSONAttribute, ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError, DoesNotExist, UpdateError

from chalicelib.config import get_settings
from chalicelib.dynamo import TenantItem, bind
from chalicelib.events.model import OPEN, EventCallback, Webhook
from chalicelib.events.store import failed_condition
from chalicelib.exceptions import RecordNotFoundError
from chalicelib.tenancy import Tenant

CALLBACK_TTL_SECONDS = 30 * 24 * 3600
LAST_CALLBACKS = 100


class WebhookItem(TenantItem):
    topic = UnicodeAttribute()
    callback_url = UnicodeAttribute()
    shared_secret = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    include_resources = ListAttribute(of=UnicodeAttribute, null=True)  # type: ignore[var-annotated]
    circuit_state = UnicodeAttribute()
    circuit_failure_count = NumberAttribute(default=0)
    disabled_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    reference = UnicodeAttribute(null=True)
    reference_origin = UnicodeAttribute(null=True)
    metadata = JSONAttribute(null=True)


class CallbackItem(TenantItem):
    id = UnicodeAttribute()
    webhook_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    callback_url = UnicodeAttribute()
    payload = JSONAttribute()
    signature = UnicodeAttribute()
    response_code = UnicodeAttribute(null=True)
    response_message = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    expires_at = NumberAttribute()


def _webhooks() -> type[WebhookItem]:
    return bind(WebhookItem, get_settings().cleanups_table)


def _callbacks() -> type[CallbackItem]:
    return bind(CallbackItem, get_settings().cleanups_table)


def webhooks_partition(tenant: Tenant) -> str:
    return f"{tenant.key}#webhooks"


def callbacks_partition(tenant: Tenant) -> str:
    return f"{tenant.key}#event_callbacks"


def webhook_callbacks_partition(tenant: Tenant, webhook_id: str) -> str:
    return f"{tenant.key}#callbacks#{webhook_id}"


def event_callbacks_partition(tenant: Tenant, event_id: str) -> str:
    return f"{tenant.key}#event-callbacks#{event_id}"


# --- webhooks ----------------------------------------------------------------------------------

def _webhook(item: WebhookItem) -> Webhook:
    return Webhook(tenant=Tenant(item.organization_id, item.mode), id=item.sk, topic=item.topic,
                   callback_url=item.callback_url, shared_secret=item.shared_secret, created_at=item.created_at,
                   updated_at=item.updated_at, name=item.name,
                   include_resources=tuple(str(name) for name in item.include_resources or ()),
                   circuit_state=item.circuit_state, circuit_failure_count=int(item.circuit_failure_count or 0),
                   disabled_at=item.disabled_at, reference=item.reference, reference_origin=item.reference_origin,
                   metadata=item.metadata or {})


def _stored(webhook: Webhook) -> dict[str, Any]:
    """Attribute name -> stored value (None removes it)."""
    return {"topic": webhook.topic, "callback_url": webhook.callback_url, "shared_secret": webhook.shared_secret,
            "name": webhook.name, "include_resources": list(webhook.include_resources) or None,
            "circuit_state": webhook.circuit_state, "circuit_failure_count": webhook.circuit_failure_count,
            "disabled_at": webhook.disabled_at, "updated_at": webhook.updated_at, "reference": webhook.reference,
            "reference_origin": webhook.reference_origin, "metadata": webhook.metadata or None}


def save_new_webhook(webhook: Webhook) -> None:
    model = _webhooks()
    item = model(webhooks_partition(webhook.tenant), webhook.id, organization_id=webhook.tenant.organization_id,
                 mode=webhook.tenant.mode, created_at=webhook.created_at, **_stored(webhook))
    item.save(condition=model.sk.does_not_exist())


def get_webhook(tenant: Tenant, webhook_id: str) -> Webhook:
    try:
        return _webhook(_webhooks().get(webhooks_partition(tenant), webhook_id, consistent_read=True))
    except DoesNotExist:
        raise RecordNotFoundError(f"No webhook {webhook_id}") from None


def list_webhooks(tenant: Tenant) -> list[Webhook]:
    return [_webhook(item) for item in _webhooks().query(webhooks_partition(tenant), consistent_read=True)]


def update_webhook(before: Webhook, after: Webhook) -> Webhook:
    """Write the attributes that differ between `before` and `after`; 404 if it was deleted meanwhile."""
    model = _webhooks()
    old, new = _stored(before), _stored(after)
    changed = {name: value for name, value in new.items() if old[name] != value or name == "updated_at"}
    actions = [getattr(model, name).set(value) if value is not None else getattr(model, name).remove()
               for name, value in changed.items()]
    item = model(webhooks_partition(before.tenant), before.id)
    try:
        item.update(actions=actions, condition=model.sk.exists())
    except UpdateError as error:
        if failed_condition(error):
            raise RecordNotFoundError(f"No webhook {before.id}") from None
        raise
    return _webhook(item)


def delete_webhook(tenant: Tenant, webhook_id: str) -> None:
    model = _webhooks()
    try:
        model(webhooks_partition(tenant), webhook_id).delete(condition=model.sk.exists())
    except DeleteError as error:
        if failed_condition(error):
            raise RecordNotFoundError(f"No webhook {webhook_id}") from None
        raise


def add_failure(webhook: Webhook) -> int | None:
    """One more consecutive failure, atomically; the new count, or None if the webhook is gone."""
    model = _webhooks()
    item = model(webhooks_partition(webhook.tenant), webhook.id)
    try:
        item.update(actions=[model.circuit_failure_count.add(1)], condition=model.sk.exists())
    except UpdateError as error:
        if failed_condition(error):
            return None
        raise
    return int(item.circuit_failure_count)


def open_circuit(webhook: Webhook, moment: str) -> None:
    model = _webhooks()
    try:
        model(webhooks_partition(webhook.tenant), webhook.id).update(
            actions=[model.circuit_state.set(OPEN), model.updated_at.set(moment)], condition=model.sk.exists())
    except UpdateError as error:
        if not failed_condition(error):
            raise


def reset_failures(webhook: Webhook) -> None:
    """A delivery went through: the consecutive-failure count starts again (if it moved)."""
    model = _webhooks()
    try:
        model(webhooks_partition(webhook.tenant), webhook.id).update(
            actions=[model.circuit_failure_count.set(0)],
            condition=model.sk.exists() & (model.circuit_failure_count > 0))
    except UpdateError as error:
        if not failed_condition(error):
            raise


# --- event callbacks ---------------------------------------------------------------------------

def _callback(item: CallbackItem) -> EventCallback:
    return EventCallback(tenant=Tenant(item.organization_id, item.mode), id=item.id, webhook_id=item.webhook_id,
                         event_id=item.event_id, callback_url=item.callback_url, payload=item.payload or {},
                         signature=item.signature, created_at=item.created_at, response_code=item.response_code,
                         response_message=item.response_message)


def _callback_item(callback: EventCallback, pk: str, sk: str) -> CallbackItem:
    return _callbacks()(pk, sk, id=callback.id, organization_id=callback.tenant.organization_id,
                        mode=callback.tenant.mode, webhook_id=callback.webhook_id, event_id=callback.event_id,
                        callback_url=callback.callback_url, payload=callback.payload, signature=callback.signature,
                        response_code=callback.response_code, response_message=callback.response_message,
                        created_at=callback.created_at, expires_at=int(time.time()) + CALLBACK_TTL_SECONDS)


def save_callback(callback: EventCallback) -> None:
    tenant, by_time = callback.tenant, f"{callback.created_at}#{callback.id}"
    with _callbacks().batch_write() as writer:
        writer.save(_callback_item(callback, callbacks_partition(tenant), callback.id))
        writer.save(_callback_item(callback, webhook_callbacks_partition(tenant, callback.webhook_id), by_time))
        writer.save(_callback_item(callback, event_callbacks_partition(tenant, callback.event_id), by_time))


def get_callback(tenant: Tenant, callback_id: str) -> EventCallback:
    try:
        return _callback(_callbacks().get(callbacks_partition(tenant), callback_id, consistent_read=True))
    except DoesNotExist:
        raise RecordNotFoundError(f"No event callback {callback_id}") from None


def list_callbacks(tenant: Tenant) -> list[EventCallback]:
    return [_callback(item) for item in _callbacks().query(callbacks_partition(tenant), consistent_read=True)]


def last_callbacks(partition: str) -> list[EventCallback]:
    """The newest callbacks of a webhook's or an event's partition (time-keyed), newest first."""
    items = _callbacks().query(partition, consistent_read=True, scan_index_forward=False, limit=LAST_CALLBACKS)
    return [_callback(item) for item in items]
