"""The `CleanupEvents` port's adapter: versions for every change, topics for every transition.

Firing a topic stores its event under an id fixed by (cleanup, topic) with a
conditional write, then enqueues one delivery per deliverable webhook on the
topic. A retried call finds the event stored and enqueues nothing: at most one
fire per transition. Deliveries go through the queue, never inline.
"""
from __future__ import annotations

from typing import Protocol

from chalicelib.cleanups import Actor, Cleanup, Clock, WorkQueue
from chalicelib.events.model import (
    DESTROY,
    Event,
    Version,
    Webhook,
    delivery_message,
    destroy_version,
    new_event,
    status_topic,
    topics_created,
    update_version,
)
from chalicelib.tenancy import Tenant, iso


class EventLog(Protocol):
    """Where events and versions are kept, and who listens: `events.store.DynamoEventLog`."""

    def put_event(self, event: Event) -> bool:
        """Store an event once; False if its id was stored already (a retried fire)."""

    def put_version(self, version: Version) -> bool:
        """Store a version once; False if its id was stored already."""

    def webhooks(self, tenant: Tenant) -> list[Webhook]:
        """The tenant's webhooks."""


class CleanupEventsRecorder:
    """Implements `chalicelib.cleanups.CleanupEvents`."""

    def __init__(self, log: EventLog, queue: WorkQueue, clock: Clock) -> None:
        self.log, self.queue, self.clock = log, queue, clock

    def _moment(self) -> str:
        return iso(self.clock.now())

    def fire(self, topic: str, cleanup: Cleanup) -> bool:
        """Store the event of `topic` for `cleanup` and enqueue its deliveries; False if it had fired already."""
        event = new_event(cleanup, topic, self._moment())
        if not self.log.put_event(event):
            return False
        hooks = [w for w in self.log.webhooks(cleanup.tenant) if w.topic == topic and w.deliverable]
        if hooks:
            self.queue.send([delivery_message(hook, event, cleanup) for hook in hooks])
        return True

    def created(self, cleanup: Cleanup, actor: Actor) -> None:
        for topic in topics_created(cleanup):
            self.fire(topic, cleanup)

    def changed(self, before: Cleanup, after: Cleanup, actor: Actor) -> None:
        version = update_version(before, after, actor, self._moment())
        if version is not None:
            self.log.put_version(version)
        topic = status_topic(before, after)
        if topic is not None:
            self.fire(topic, after)

    def destroyed(self, cleanup: Cleanup, actor: Actor) -> None:
        self.log.put_version(destroy_version(cleanup, actor, self._moment()))
        self.fire(DESTROY, cleanup)
