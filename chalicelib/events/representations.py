"""Events, versions, webhooks and callbacks as JSON:API `Resource`s (no HTTP): for views and deliveries."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib.catalog import service_type
from chalicelib.cleanups.domain.model import RELATIONSHIPS
from chalicelib.events.model import Event, EventCallback, Version, Webhook
from chalicelib.jsonapi import Resource
from chalicelib.jsonapi.render import Linkage

EVENT_RELATIONSHIPS = ("webhooks", "last_event_callbacks")
WEBHOOK_RELATIONSHIPS = ("last_event_callbacks",)
CALLBACK_RELATIONSHIPS = ("webhook",)
_RELATIONSHIPS_OF = {"events": EVENT_RELATIONSHIPS, "versions": (), "webhooks": WEBHOOK_RELATIONSHIPS,
                     "event_callbacks": CALLBACK_RELATIONSHIPS}


def fieldset(type_name: str) -> set[str]:
    """The fields of events, versions, webhooks or event callbacks: what `fields[<type_name>]` may name."""
    return service_type(type_name).attribute_names() | set(_RELATIONSHIPS_OF[type_name])


def event_resource(event: Event) -> Resource:
    return Resource(type="events", id=event.id, attributes=event.attributes(), mode=event.tenant.mode,
                    relationships=EVENT_RELATIONSHIPS)


def version_resource(version: Version) -> Resource:
    return Resource(type="versions", id=version.id, attributes=version.attributes(), mode=version.tenant.mode)


def webhook_resource(webhook: Webhook) -> Resource:
    return Resource(type="webhooks", id=webhook.id, attributes=webhook.attributes(), mode=webhook.tenant.mode,
                    relationships=WEBHOOK_RELATIONSHIPS)


def callback_resource(callback: EventCallback) -> Resource:
    return Resource(type="event_callbacks", id=callback.id, attributes=callback.attributes(),
                    mode=callback.tenant.mode, relationships=CALLBACK_RELATIONSHIPS,
                    linkage={"webhook": {"type": "webhooks", "id": callback.webhook_id}})


def cleanup_resource(cleanup_id: str, attributes: dict[str, Any], mode: str) -> Resource:
    return Resource(type="cleanups", id=cleanup_id, attributes=attributes, mode=mode, relationships=RELATIONSHIPS)


def linkage(resources: Sequence[Resource]) -> list[Linkage]:
    return [{"type": r.type, "id": r.id} for r in resources]
