"""The SQS work queue's handlers by message kind: parse the body, call one use case with fresh ports.

app.py passes `chalicelib.bootstrap`'s builders in (`message_handlers(bootstrap.ports, bootstrap.preview_ports)`).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib import cleanups, events, previews, telemetry
from chalicelib.cleanups import Ports
from chalicelib.messages import Handler, tenant_of


def message_handlers(ports: Callable[[], Ports], preview_ports: Callable[[], previews.Ports]) -> dict[str, Handler]:
    """Each kind's handler; every message builds its own `ports()` (settings are read per message)."""

    def cleanup_batch(body: dict[str, Any]) -> None:
        telemetry.correlate(body["cleanup_id"], batch=body["batch"])
        cleanups.process_batch(ports(), tenant_of(body), body["cleanup_id"], int(body["batch"]))

    def cleanup_selection(body: dict[str, Any]) -> None:
        telemetry.correlate(body["cleanup_id"], selection_page=body["page"])
        cleanups.continue_selection(ports(), tenant_of(body), body["cleanup_id"], int(body["page"]))

    def cleanup_preview(body: dict[str, Any]) -> None:
        telemetry.correlate(body["preview_id"], preview_page=body["page"])
        previews.continue_preview(preview_ports(), tenant_of(body), body["preview_id"], int(body["page"]))

    def cleanup_report(body: dict[str, Any]) -> None:
        telemetry.correlate(body["cleanup_id"])
        cleanups.finish_report(ports(), tenant_of(body), body["cleanup_id"])

    def restore_batch(body: dict[str, Any]) -> None:
        cleanups.restore_batch(ports(), tenant_of(body), body["cleanup_id"], int(body["sub_batch"]))

    def webhook_delivery(body: dict[str, Any]) -> None:
        wired = ports()
        events.deliver(body, wired.cleanups.get, wired.settings)

    return {"cleanup_batch": cleanup_batch, "cleanup_selection": cleanup_selection,
            previews.KIND: cleanup_preview, "restore_batch": restore_batch,
            "webhook_delivery": webhook_delivery, "cleanup_report": cleanup_report}
