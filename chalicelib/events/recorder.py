"""The `CleanupEvents` port's adapter: versions for every change, topics for every transition.

Firing a topic stores its event under an id fixed by (cleanup, topic) with a
conditional write, then enqueues one delivery per deliverable webhook on the
topic. A retried call finds the event stored and enqueues nothing: at most one
fire per transition. Deliveries go through the queue, never inline.
"""
from __future__ import annotations

from chalicelib import queue
from chalicelib.cleanups.model import Actor, Cleanup
from chalicelib.events import store, webhook_store
from chalicelib.events.model import (
    DESTROY,
    delivery_message,
    destroy_version,
    new_event,
    status_topic,
    topics_created,
    update_version,
)
from chalicelib.tenancy import iso, now


def _moment() -> str:
    return iso(now()) or ""


def fire(topic: str, cleanup: Cleanup) -> bool:
    """Store the event of `topic` for `cleanup` and enqueue its deliveries; False if it had fired already."""
    event = new_event(cleanup, topic, _moment())
    if not store.put_event(event):
        return False
    hooks = [w for w in webhook_store.list_webhooks(cleanup.tenant) if w.topic == topic and w.deliverable]
    if hooks:
        queue.send([delivery_message(hook, event, cleanup) for hook in hooks])
    return True


class CleanupEventsRecorder:
    """Implements `chalicelib.cleanups.CleanupEvents`."""

    def created(self, cleanup: Cleanup, actor: Actor) -> None:
        for topic in topics_created(cleanup):
            fire(topic, cleanup)

    def changed(self, before: Cleanup, after: Cleanup, actor: Actor) -> None:
        version = update_version(before, after, actor, _moment())
        if version is not None:
            store.put_version(version)
        topic = status_topic(before, after)
        if topic is not None:
            fire(topic, after)

    def destroyed(self, cleanup: Cleanup, actor: Actor) -> None:
        store.put_version(destroy_version(cleanup, actor, _moment()))
        fire(DESTROY, cleanup)
