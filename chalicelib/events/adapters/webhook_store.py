"""DynamoDB adapter for webhooks and their event callbacks (PynamoDB, the cleanups table).

Webhook updates set only the attributes that changed, and the failure counter
moves by atomic ADDs: a PATCH and a delivery never overwrite each other.
Callbacks are stored in the tenant's partition and, keyed newest-last by time,
under their webhook and their event; they expire with the table's TTL.
"""
from __future__ import annotations

import functools
import time

from pynamodb.attributes import JSONAttribute, ListAttribute, NumberAttribute, UnicodeAttribute

from chalicelib import dynamo
from chalicelib.dynamo import Expiring, TenantItem, stored_values, to_domain, to_item, written
from chalicelib.events.model import OPEN, EventCallback, Webhook
from chalicelib.exceptions import RecordNotFoundError
from chalicelib.tenancy import Tenant

CALLBACK_TTL_SECONDS = 30 * 24 * 3600
LAST_CALLBACKS = 100
_FIXED = frozenset({"organization_id", "mode", "created_at"})


class WebhookItem(dynamo.ResourceItem):
    topic = UnicodeAttribute()
    callback_url = UnicodeAttribute()
    shared_secret = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    include_resources = ListAttribute(of=UnicodeAttribute, null=True)  # type: ignore[var-annotated]
    circuit_state = UnicodeAttribute()
    circuit_failure_count = NumberAttribute(default=0)
    disabled_at = UnicodeAttribute(null=True)


class CallbackItem(TenantItem, Expiring):
    id = UnicodeAttribute()
    webhook_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    callback_url = UnicodeAttribute()
    payload = JSONAttribute()
    signature = UnicodeAttribute()
    response_code = UnicodeAttribute(null=True)
    response_message = UnicodeAttribute(null=True)


_webhooks = functools.partial(dynamo.in_cleanups_table, WebhookItem)
_callbacks = functools.partial(dynamo.in_cleanups_table, CallbackItem)


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
    return to_domain(Webhook, item, id=item.sk)


def save_new_webhook(webhook: Webhook) -> None:
    model = _webhooks()
    item = to_item(model, webhook, pk=webhooks_partition(webhook.tenant), sk=webhook.id)
    item.save(condition=model.sk.does_not_exist())


def get_webhook(tenant: Tenant, webhook_id: str) -> Webhook:
    return _webhook(dynamo.get_item(_webhooks(), webhooks_partition(tenant), webhook_id, f"No webhook {webhook_id}"))


def list_webhooks(tenant: Tenant) -> list[Webhook]:
    return [_webhook(item) for item in dynamo.partition_items(_webhooks(), webhooks_partition(tenant))]


def update_webhook(before: Webhook, after: Webhook) -> Webhook:
    """Write the attributes that differ between `before` and `after`; 404 if it was deleted meanwhile."""
    model = _webhooks()
    old, new = stored_values(model, before), stored_values(model, after)
    # The tenant, id and created_at never change: neither are they written.
    changed = {name: value for name, value in new.items()
               if name not in _FIXED and (old[name] != value or name == "updated_at")}
    actions = [getattr(model, name).set(value) if value is not None else getattr(model, name).remove()
               for name, value in changed.items()]
    item = model(webhooks_partition(before.tenant), before.id)
    if not written(lambda: item.update(actions=actions, condition=model.sk.exists())):
        raise RecordNotFoundError(f"No webhook {before.id}")
    return _webhook(item)


def delete_webhook(tenant: Tenant, webhook_id: str) -> None:
    model = _webhooks()
    if not written(lambda: model(webhooks_partition(tenant), webhook_id).delete(condition=model.sk.exists())):
        raise RecordNotFoundError(f"No webhook {webhook_id}")


def add_failure(webhook: Webhook) -> int | None:
    """One more consecutive failure, atomically; the new count, or None if the webhook is gone."""
    model = _webhooks()
    item = model(webhooks_partition(webhook.tenant), webhook.id)
    if not written(lambda: item.update(actions=[model.circuit_failure_count.add(1)], condition=model.sk.exists())):
        return None
    return int(item.circuit_failure_count)


def open_circuit(webhook: Webhook, moment: str) -> None:
    """Stop deliveries to the webhook; nothing to do if it was deleted meanwhile."""
    model = _webhooks()
    written(lambda: model(webhooks_partition(webhook.tenant), webhook.id).update(
        actions=[model.circuit_state.set(OPEN), model.updated_at.set(moment)], condition=model.sk.exists()))


def reset_failures(webhook: Webhook) -> None:
    """A delivery went through: the consecutive-failure count starts again (if it moved)."""
    model = _webhooks()
    written(lambda: model(webhooks_partition(webhook.tenant), webhook.id).update(
        actions=[model.circuit_failure_count.set(0)],
        condition=model.sk.exists() & (model.circuit_failure_count > 0)))


# --- event callbacks ---------------------------------------------------------------------------

def _callback(item: CallbackItem) -> EventCallback:
    return to_domain(EventCallback, item)


def _callback_item(callback: EventCallback, pk: str, sk: str) -> CallbackItem:
    return to_item(_callbacks(), callback, pk=pk, sk=sk, expires_at=int(time.time()) + CALLBACK_TTL_SECONDS)


def save_callback(callback: EventCallback) -> None:
    tenant, by_time = callback.tenant, f"{callback.created_at}#{callback.id}"
    with _callbacks().batch_write() as writer:
        writer.save(_callback_item(callback, callbacks_partition(tenant), callback.id))
        writer.save(_callback_item(callback, webhook_callbacks_partition(tenant, callback.webhook_id), by_time))
        writer.save(_callback_item(callback, event_callbacks_partition(tenant, callback.event_id), by_time))


def get_callback(tenant: Tenant, callback_id: str) -> EventCallback:
    return _callback(dynamo.get_item(_callbacks(), callbacks_partition(tenant), callback_id,
                              f"No event callback {callback_id}"))


def list_callbacks(tenant: Tenant) -> list[EventCallback]:
    return [_callback(item) for item in dynamo.partition_items(_callbacks(), callbacks_partition(tenant))]


def last_callbacks(partition: str) -> list[EventCallback]:
    """The newest callbacks of a webhook's or an event's partition (time-keyed), newest first."""
    items = _callbacks().query(partition, consistent_read=True, scan_index_forward=False, limit=LAST_CALLBACKS)
    return [_callback(item) for item in items]
