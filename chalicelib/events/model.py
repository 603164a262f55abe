"""Events, versions, webhooks and event callbacks as values, and the rules between them: pure, no I/O."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field, replace
from typing import Any

from chalicelib.cleanups.domain.model import COMPLETED, IN_PROGRESS, INTERRUPTED, Actor, Cleanup, changes
from chalicelib.filters.size import stored_apart
from chalicelib.tenancy import Tenant, base62_id

CREATE, START, COMPLETE, INTERRUPT, DESTROY, PROGRESS = (
    "cleanups.create", "cleanups.start", "cleanups.complete", "cleanups.interrupt", "cleanups.destroy",
    "cleanups.progress")
SCHEDULE_RUN = "cleanup_schedules.run"  # every run of a schedule, with its outcome (`chalicelib.schedules`)
TOPICS = (CREATE, START, COMPLETE, INTERRUPT, DESTROY, PROGRESS, SCHEDULE_RUN)
_STATUS_TOPICS = {IN_PROGRESS: START, COMPLETED: COMPLETE, INTERRUPTED: INTERRUPT}
CLOSED, OPEN = "closed", "open"
RETRY_BASE_SECONDS = 30
RETRY_CAP_SECONDS = 900  # SQS DelaySeconds' maximum
MAX_ATTEMPTS = 8
REDISPATCH_AFTER_SECONDS = 30  # an event undispatched this long lost its dispatcher: the reconciler sends it


@dataclass(frozen=True)
class Event:
    tenant: Tenant
    id: str
    name: str
    resource_type: str
    resource_id: str
    created_at: str
    updated_at: str
    reference: str | None = None
    reference_origin: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def attributes(self) -> dict[str, Any]:
        return {"name": self.name, "created_at": self.created_at, "updated_at": self.updated_at,
                "reference": self.reference, "reference_origin": self.reference_origin, "metadata": self.metadata}


@dataclass(frozen=True)
class WrittenOnce:
    """A resource written once, never updated (a version, an event callback): its `updated_at` is its
    `created_at`, and it has no reference nor metadata."""

    tenant: Tenant
    id: str
    created_at: str

    def _attributes(self, **own: Any) -> dict[str, Any]:
        return {**own, "created_at": self.created_at, "updated_at": self.created_at, "reference": None,
                "reference_origin": None, "metadata": {}}


@dataclass(frozen=True)
class Version(WrittenOnce):
    resource_type: str
    resource_id: str
    event: str  # update | destroy
    changes: dict[str, list[Any]]
    who: dict[str, Any]
    ip_address: str | None = None
    user_agent: str | None = None
    uuid: str | None = None

    def attributes(self) -> dict[str, Any]:
        return self._attributes(resource_type=self.resource_type, resource_id=self.resource_id, event=self.event,
                                changes=self.changes, who=self.who, ip_address=self.ip_address,
                                user_agent=self.user_agent, uuid=self.uuid)


@dataclass(frozen=True)
class Webhook:
    tenant: Tenant
    id: str
    topic: str
    callback_url: str
    shared_secret: str
    created_at: str
    updated_at: str
    name: str | None = None
    include_resources: tuple[str, ...] = ()
    circuit_state: str = CLOSED
    circuit_failure_count: int = 0
    disabled_at: str | None = None
    reference: str | None = None
    reference_origin: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def deliverable(self) -> bool:
        return self.disabled_at is None and self.circuit_state == CLOSED

    def attributes(self) -> dict[str, Any]:
        """What its owner sees, the shared secret included (it signs the deliveries)."""
        return {"name": self.name, "topic": self.topic, "callback_url": self.callback_url,
                "include_resources": list(self.include_resources), "shared_secret": self.shared_secret,
                "circuit_state": self.circuit_state, "circuit_failure_count": self.circuit_failure_count,
                "disabled_at": self.disabled_at, "created_at": self.created_at, "updated_at": self.updated_at,
                "reference": self.reference, "reference_origin": self.reference_origin, "metadata": self.metadata}


@dataclass(frozen=True)
class EventCallback(WrittenOnce):
    webhook_id: str
    event_id: str
    callback_url: str
    payload: dict[str, Any]
    signature: str
    response_code: str | None = None
    response_message: str | None = None

    def attributes(self) -> dict[str, Any]:
        return self._attributes(callback_url=self.callback_url, payload=self.payload,
                                response_code=self.response_code, response_message=self.response_message,
                                signature=self.signature)


@dataclass(frozen=True)
class Recorded:
    """What one cleanup write reports, committed in the same transaction as the write.

    `cleanup` is the cleanup as the write leaves it (what deliveries carry); `events` are
    stored undispatched (the outbox) and dispatched after the commit; `versions` are stored.
    """

    cleanup: Cleanup
    events: tuple[Event, ...] = ()
    versions: tuple[Version, ...] = ()


@dataclass(frozen=True)
class Outgoing:
    """A committed event not yet dispatched, with the cleanup's attributes as its write left them."""

    event: Event
    resource: dict[str, Any]


def derived_id(*parts: str) -> str:
    """A 10-character base62 id fixed by `parts`: the same fact written twice is one item."""
    return base62_id(int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest()[:8], "big"))


def topics_created(cleanup: Cleanup) -> list[str]:
    """A cleanup with nothing to delete is born completed: its subscribers hear both."""
    return [CREATE, COMPLETE] if cleanup.status == COMPLETED else [CREATE]


def status_topic(before: Cleanup, after: Cleanup) -> str | None:
    if before.status == after.status:
        return None
    return _STATUS_TOPICS.get(after.status)


def new_event(cleanup: Cleanup, topic: str, moment: str) -> Event:
    return Event(tenant=cleanup.tenant, id=derived_id(cleanup.tenant.key, cleanup.id, topic), name=topic,
                 resource_type="cleanups", resource_id=cleanup.id, created_at=moment, updated_at=moment)


def update_version(before: Cleanup, after: Cleanup, actor: Actor, moment: str) -> Version | None:
    """The version of an update, or None when no visible attribute changed."""
    diff = changes(before, after)
    if not diff:
        return None
    key = derived_id(after.tenant.key, after.id, "update", after.updated_at, json.dumps(diff, sort_keys=True))
    return _version(after, key, "update", diff, actor, moment)


def destroy_version(cleanup: Cleanup, actor: Actor, moment: str) -> Version:
    """What was destroyed: every attribute it still had, as `[old, None]`."""
    diff = {name: [value, None] for name, value in cleanup.attributes().items() if value not in (None, {}, [])}
    return _version(cleanup, derived_id(cleanup.tenant.key, cleanup.id, "destroy"), "destroy", diff, actor, moment)


def _version(cleanup: Cleanup, key: str, event: str, diff: dict[str, list[Any]], actor: Actor, moment: str) -> Version:
    return Version(tenant=cleanup.tenant, id=key, resource_type="cleanups", resource_id=cleanup.id, event=event,
                   changes=diff, who=actor.who, created_at=moment, ip_address=actor.ip_address,
                   user_agent=actor.user_agent, uuid=actor.request_id)


def recorded_create(cleanup: Cleanup, moment: str) -> Recorded:
    """A create: its topics' events (no version: a version records a change)."""
    return Recorded(cleanup, tuple(new_event(cleanup, topic, moment) for topic in topics_created(cleanup)))


def recorded_change(before: Cleanup, after: Cleanup, actor: Actor, moment: str) -> Recorded:
    """An update: its version (if anything visible changed) and its status topic's event (if any)."""
    version = update_version(before, after, actor, moment)
    topic = status_topic(before, after)
    return Recorded(after, (new_event(after, topic, moment),) if topic else (), (version,) if version else ())


def recorded_progress(cleanup: Cleanup, number: int) -> Recorded:
    """The count of sub-batch `number` crossed 10 % steps: one event, at the count's moment (`updated_at`, so it
    sorts before whatever follows it), its id fixed by the number (no version: counts are not one)."""
    event = new_event(cleanup, PROGRESS, cleanup.updated_at)
    return Recorded(cleanup, (replace(event, id=derived_id(cleanup.tenant.key, cleanup.id, PROGRESS, str(number))),))


def recorded_destroy(cleanup: Cleanup, actor: Actor, moment: str) -> Recorded:
    return Recorded(cleanup, (new_event(cleanup, DESTROY, moment),), (destroy_version(cleanup, actor, moment),))


def outgoing(recorded: Recorded) -> list[Outgoing]:
    return [Outgoing(event, recorded.cleanup.attributes()) for event in recorded.events]


def delivery_message(webhook: Webhook, sent: Outgoing) -> dict[str, Any]:
    """What the queue carries: enough to deliver even after the cleanup is gone. Filters kept apart
    (docs/DESIGN.md#item-budget) are left out (`filters_apart`): they would pass SQS's 256 KB."""
    event = sent.event
    apart = event.resource_type == "cleanups" and stored_apart(sent.resource.get("filters") or {})
    attributes = {**sent.resource, "filters": {}} if apart else sent.resource
    return {"kind": "webhook_delivery",
            "tenant": {"organization_id": webhook.tenant.organization_id, "mode": webhook.tenant.mode},
            "webhook_id": webhook.id, "event_id": event.id, "topic": event.name,
            "resource": {"type": event.resource_type, "id": event.resource_id, "attributes": attributes},
            "attempt": 1, **({"filters_apart": True} if apart else {})}


def signature(body: bytes, shared_secret: str) -> str:
    """X-CommerceLayer-Signature: base64 of HMAC-SHA256 of the raw body."""
    return base64.b64encode(hmac.new(shared_secret.encode(), body, hashlib.sha256).digest()).decode()


def retry_delay(attempt: int) -> int:
    """Seconds before attempt `attempt + 1`: doubling from the base, capped by what SQS allows."""
    return min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2 ** (attempt - 1))


def succeeded(response_code: str | None) -> bool:
    return response_code is not None and response_code.startswith("2")
