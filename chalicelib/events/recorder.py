"""The `CleanupEvents` port's adapter: what each cleanup write reports, and the outbox's dispatch.

A write's events and versions are built here (`recorded_*`, pure but for the clock)
and committed by the cleanup repository in the write's own transaction, each event
in the outbox. After the commit, `dispatch` enqueues one delivery per deliverable
webhook on the event's topic, then takes the event out of the outbox. A dispatcher
that dies or fails half-way leaves the event in the outbox; the reconciler's
`redispatch` sends it again after REDISPATCH_AFTER_SECONDS. So every webhook is
delivered at least once; a delivery carries its event id for receivers to drop repeats.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from aws_lambda_powertools import Logger

from chalicelib.cleanups import Actor, Cleanup, Clock, WorkQueue
from chalicelib.events.model import (
    REDISPATCH_AFTER_SECONDS,
    Event,
    Outgoing,
    Recorded,
    Webhook,
    delivery_message,
    outgoing,
    recorded_change,
    recorded_create,
    recorded_destroy,
    recorded_progress,
)
from chalicelib.tenancy import Tenant, iso

logger = Logger(service="cleanups")
WEBHOOKS_FRESH_SECONDS = 5.0


class EventLog(Protocol):
    """The outbox and who listens: `events.adapters.store.DynamoEventLog`."""

    def webhooks(self, tenant: Tenant) -> list[Webhook]:
        """The tenant's webhooks."""

    def undispatched(self, before: str) -> list[Outgoing]:
        """Events of every tenant still in the outbox, committed before `before` (ISO), oldest first."""

    def mark_dispatched(self, event: Event) -> None:
        """Take the event out of the outbox."""


class CleanupEventsRecorder:
    """Implements `chalicelib.cleanups.CleanupEvents`."""

    def __init__(self, log: EventLog, queue: WorkQueue, clock: Clock) -> None:
        self.log, self.queue, self.clock = log, queue, clock
        self._webhooks: dict[Tenant, tuple[datetime, list[Webhook]]] = {}  # by tenant: never shared between two

    def _moment(self) -> str:
        return iso(self.clock.now())

    def recorded_create(self, cleanup: Cleanup, actor: Actor) -> Recorded:
        return recorded_create(cleanup, self._moment())

    def recorded_change(self, before: Cleanup, after: Cleanup, actor: Actor) -> Recorded:
        return recorded_change(before, after, actor, self._moment())

    def recorded_destroy(self, cleanup: Cleanup, actor: Actor) -> Recorded:
        return recorded_destroy(cleanup, actor, self._moment())

    def recorded_progress(self, cleanup: Cleanup, number: int) -> Recorded:
        return recorded_progress(cleanup, number)

    def dispatch(self, recorded: Recorded) -> None:
        """After the commit: deliveries enqueued, the events out of the outbox. Never raises (the outbox keeps them)."""
        self._send(outgoing(recorded))

    def dispatch_outgoing(self, outgoing: Sequence[Outgoing]) -> None:
        """After the commit of another resource's events (a schedule's run): as `dispatch`."""
        self._send(outgoing)

    def redispatch(self, moment: datetime) -> list[str]:
        """Dispatch what stayed in the outbox over REDISPATCH_AFTER_SECONDS before `moment`; the event ids sent."""
        left = self.log.undispatched(iso(moment - timedelta(seconds=REDISPATCH_AFTER_SECONDS)))
        return self._send(left)

    def _webhooks_of(self, tenant: Tenant) -> list[Webhook]:
        """The tenant's webhooks, read at most WEBHOOKS_FRESH_SECONDS ago by this recorder."""
        moment = self.clock.now()
        read = self._webhooks.get(tenant)
        if read is None or (moment - read[0]).total_seconds() >= WEBHOOKS_FRESH_SECONDS:
            read = (moment, self.log.webhooks(tenant))
            self._webhooks[tenant] = read
        return read[1]

    def _send(self, events: Sequence[Outgoing]) -> list[str]:
        sent = []
        for item in events:
            event = item.event
            try:
                hooks = [w for w in self._webhooks_of(event.tenant) if w.topic == event.name and w.deliverable]
                if hooks:
                    self.queue.send([delivery_message(hook, item) for hook in hooks])
                self.log.mark_dispatched(event)
            except Exception:  # it stays in the outbox: the reconciler sends it again
                logger.exception("Event left in the outbox", extra={"event_id": event.id})
                continue
            sent.append(event.id)
        return sent
