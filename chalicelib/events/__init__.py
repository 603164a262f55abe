"""Events, versions and webhooks of cleanups: the recorder (the `CleanupEvents` port), the outbox, delivery, reads."""
from chalicelib.events.adapters.store import DynamoEventLog, add_outgoing, add_recorded, expire_recorded
from chalicelib.events.delivery import deliver
from chalicelib.events.model import SCHEDULE_RUN, TOPICS, Event, EventCallback, Outgoing, Recorded, Version, Webhook
from chalicelib.events.queries import (
    callbacks_of_event,
    events_of_cleanup,
    get_event,
    get_event_callback,
    get_version,
    last_event_callbacks,
    list_event_callbacks,
    list_events,
    list_versions,
    versions_of_cleanup,
    webhook_of_callback,
    webhooks_of_event,
)
from chalicelib.events.recorder import CleanupEventsRecorder, EventLog
from chalicelib.events.webhooks import create_webhook, delete_webhook, get_webhook, list_webhooks, update_webhook

__all__ = [
    "SCHEDULE_RUN", "TOPICS", "CleanupEventsRecorder", "DynamoEventLog", "Event", "EventLog", "EventCallback",
    "Outgoing", "Recorded", "Version", "Webhook", "add_outgoing", "add_recorded", "callbacks_of_event",
    "create_webhook", "delete_webhook", "deliver", "expire_recorded",
    "events_of_cleanup", "get_event", "get_event_callback", "get_version", "get_webhook", "last_event_callbacks",
    "list_event_callbacks", "list_events", "list_versions", "list_webhooks", "update_webhook", "versions_of_cleanup",
    "webhook_of_callback", "webhooks_of_event",
]
