"""Webhook delivery: the handler the work queue calls for `webhook_delivery` messages.

One message is one attempt. Every attempt is recorded as an event callback. A
failed attempt counts towards the webhook's circuit (opened at
WEBHOOK_MAX_FAILURES consecutive failures) and is retried by enqueuing the
message again with a doubled SQS delay; an HTTP failure never raises, since
raising would only redeliver the message at once, without backoff. A callback keeps
the payload it sent up to STORED_PAYLOAD_BYTES; a larger one is kept as a `meta`
document saying its size (the receiver got it whole, and the stored signature is of it).
"""
from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger

from chalicelib import queue, telemetry
from chalicelib.config import Settings
from chalicelib.events.adapters import store, webhook_store
from chalicelib.events.adapters.transport import post
from chalicelib.events.model import MAX_ATTEMPTS, EventCallback, Webhook, retry_delay, signature, succeeded
from chalicelib.events.queries import GetCleanup
from chalicelib.events.representations import cleanup_resource, event_resource, linkage, version_resource
from chalicelib.exceptions import RecordNotFoundError
from chalicelib.jsonapi import JSONAPI, Resource
from chalicelib.jsonapi.render import resource_object
from chalicelib.messages import tenant_of
from chalicelib.tenancy import Tenant, iso, new_id, now

logger = Logger(service="cleanups")

# A larger stored payload could pass DynamoDB's 400 KB item (long filters, included versions): the save would fail
# after the POST, and the redelivery would POST again. It also bounds the last 100 callbacks listed in one answer.
STORED_PAYLOAD_BYTES = 32 * 1024


def _included(tenant: Tenant, cleanup_id: str, names: tuple[str, ...]) -> dict[str, list[Resource]]:
    found: dict[str, list[Resource]] = {}
    if "events" in names:
        found["events"] = [event_resource(e) for e in store.events_of(tenant, cleanup_id)]
    if "versions" in names:
        found["versions"] = [version_resource(v) for v in store.versions_of(tenant, cleanup_id)]
    return found


def payload(tenant: Tenant, message: dict[str, Any], include: tuple[str, ...],
            get_cleanup: GetCleanup, base_url: str) -> dict[str, Any]:
    """The cleanup as it is now, or as the message last saw it if it was deleted since; another resource (a
    schedule's run) as its event left it."""
    carried = message["resource"]
    if carried.get("type", "cleanups") != "cleanups":
        return {"data": resource_object(_run_resource(tenant, message), base_url)}
    try:
        attributes = get_cleanup(tenant, carried["id"]).attributes()
    except RecordNotFoundError:
        attributes = carried["attributes"]
        if message.get("filters_apart"):  # left out of the message: the cleanup's filters item outlives it
            attributes = {**attributes, "filters": store.cleanup_filters(tenant, carried["id"])}
    resource = cleanup_resource(carried["id"], attributes, tenant.mode)
    included = _included(tenant, carried["id"], include)
    resource.linkage = {name: linkage(found) for name, found in included.items()}
    document: dict[str, Any] = {"data": resource_object(resource, base_url)}
    if included:
        document["included"] = [resource_object(r, base_url) for found in included.values() for r in found]
    return document


def _run_resource(tenant: Tenant, message: dict[str, Any]) -> Resource:
    """A schedule as its run left it, its `cleanups` linkage the cleanup that run created (none if skipped)."""
    carried = message["resource"]
    try:
        created = store.get_event(tenant, message["event_id"]).metadata.get("cleanup_id")
    except RecordNotFoundError:
        created = None  # expired: the schedule's attributes still say the outcome
    linkage: dict[str, Any] = {"cleanups": [{"type": "cleanups", "id": created}] if created else []}
    return Resource(type=carried["type"], id=carried["id"], attributes=carried["attributes"], mode=tenant.mode,
                    relationships=("cleanups",), linkage=linkage)


def _headers(topic: str, signed: str, event_id: str) -> dict[str, str]:
    """`X-Cleanups-Event-Id` is the same on every delivery of one event: receivers drop repeats by it."""
    return {"Content-Type": JSONAPI, "Accept": "application/json", "X-CommerceLayer-Topic": topic,
            "X-CommerceLayer-Signature": signed, "X-Cleanups-Event-Id": event_id, "User-Agent": "cleanups-webhooks"}


def _failed(webhook: Webhook, message: dict[str, Any], max_failures: int) -> None:
    """Count the failure; open the circuit at the limit, else retry later (up to MAX_ATTEMPTS)."""
    failures = webhook_store.add_failure(webhook)
    if failures is None:
        return  # deleted meanwhile
    if failures >= max_failures:
        webhook_store.open_circuit(webhook, iso(now()))
        logger.warning("Webhook circuit opened", extra={"webhook_id": webhook.id, "failures": failures})
        return
    attempt = int(message.get("attempt", 1))
    if attempt >= MAX_ATTEMPTS:
        logger.warning("Webhook delivery abandoned", extra={"webhook_id": webhook.id, "event_id": message["event_id"]})
        return
    queue.send([{**message, "attempt": attempt + 1}], delay_seconds=retry_delay(attempt))


def _stored(document: dict[str, Any], size: int) -> dict[str, Any]:
    """What a callback keeps of the `size`-byte payload it sent: the payload, or a `meta` document past the bound."""
    if size <= STORED_PAYLOAD_BYTES:
        return document
    return {"meta": {"payload_bytes": size, "omitted": f"over the {STORED_PAYLOAD_BYTES} bytes a callback keeps"}}


def deliver(message: dict[str, Any], get_cleanup: GetCleanup, settings: Settings) -> None:
    """POST the event's cleanup to the webhook, signed; record the attempt; retry or open the circuit."""
    tenant = tenant_of(message)
    try:
        webhook = webhook_store.get_webhook(tenant, message["webhook_id"])
    except RecordNotFoundError:
        return  # deleted since the event fired
    if not webhook.deliverable or webhook.topic != message["topic"]:
        return
    document = payload(tenant, message, webhook.include_resources, get_cleanup, settings.public_base_url)
    body = json.dumps(document).encode()
    signed = signature(body, webhook.shared_secret)
    answer = post(webhook.callback_url, body, _headers(message["topic"], signed, message["event_id"]),
                  settings.webhook_timeout_seconds, allow_loopback=settings.webhook_allow_loopback)
    webhook_store.save_callback(EventCallback(
        tenant=tenant, id=new_id(), webhook_id=webhook.id, event_id=message["event_id"],
        callback_url=webhook.callback_url, payload=_stored(document, len(body)), signature=signed,
        created_at=iso(now()), response_code=answer.code, response_message=answer.message,
    ))
    if succeeded(answer.code):
        webhook_store.reset_failures(webhook)
    else:
        telemetry.webhook_failed(webhook.id, message["event_id"], answer.code, int(message.get("attempt", 1)))
        _failed(webhook, message, settings.webhook_max_failures)
