"""The composition root: the real adapters the entrypoints use. Nothing runs at import."""
from __future__ import annotations

from typing import Any

from chalicelib import cleanups, events
from chalicelib.messages import Handler, tenant_of


def events_port() -> cleanups.CleanupEvents:
    return events.CleanupEventsRecorder()


def _cleanup_batch(body: dict[str, Any]) -> None:
    cleanups.process_batch(tenant_of(body), body["cleanup_id"], int(body["batch"]), events_port())


def message_handlers() -> dict[str, Handler]:
    return {"cleanup_batch": _cleanup_batch, "webhook_delivery": events.deliver}
