"""The cleanups service: every route, the SQS worker and the schedule. Bodies stay thin."""
from __future__ import annotations

from typing import Any

from chalice import Chalice, Rate, Response
from chalice.app import CloudWatchEvent, Request, SQSEvent

from chalicelib import (
    bootstrap,
    cleanups,
    dashboard,
    events,
    handlers,
    messages,
    openapi,
    previews,
    records,
    schedules,
    telemetry,
)
from chalicelib.auth import tokens
from chalicelib.auth.applications import get_application
from chalicelib.catalog import get_type
from chalicelib.config import get_settings
from chalicelib.http import ApiRequest, JsonApi, head_as_get, jsonapi_framework_errors, plain_route
from chalicelib.idempotency import Claim
from chalicelib.idempotency.web import idempotent
from chalicelib.jsonapi import parse_resource
from chalicelib.views import applications as application_views
from chalicelib.views import cleanups as cleanup_views
from chalicelib.views import events as event_views
from chalicelib.views import previews as preview_views
from chalicelib.views import records as record_views
from chalicelib.views import schedules as schedule_views

app = Chalice(app_name="cleanups")
app.register_middleware(telemetry.invocation, "all")
app.register_middleware(jsonapi_framework_errors, "http")
app.register_middleware(head_as_get, "http")
api = JsonApi(app)
ALL_KINDS = ("integration", "sales_channel", "webapp")


@plain_route(app, "/oauth/token", methods=["POST"])
def oauth_token(request: Request) -> dict[str, Any]:
    return tokens.issue_token(tokens.parse_token_request(request.raw_body, request.headers.get("content-type")))


@plain_route(app, "/health", methods=["GET"])
def health(request: Request) -> dict[str, Any]:
    return {"status": "ok"}


@plain_route(app, "/api/openapi.json", methods=["GET"])
def openapi_document(request: Request) -> dict[str, Any]:
    return openapi.document()


@app.route("/dashboard", methods=["GET"])
def dashboard_page() -> Response:
    return dashboard.page()


@app.route("/dashboard/{asset}", methods=["GET"])
def dashboard_asset(asset: str) -> Response:
    return dashboard.asset(asset)


@api.route("/api/application", methods=["GET"], kinds=ALL_KINDS)
def show_application(call: ApiRequest) -> dict[str, Any]:
    return application_views.render(get_application(call.caller.client_id), call)


# --- cleanups ---------------------------------------------------------------------------------

@api.route("/api/cleanups", methods=["GET"])
def list_cleanups(call: ApiRequest) -> dict[str, Any]:
    ports = bootstrap.ports()
    return cleanup_views.render_page(call, lambda listing: cleanups.list_cleanups(ports, call.tenant, listing),
                                     lambda: cleanups.list_cleanups(ports, call.tenant), event_views.cleanup_included)


def show_created_cleanup(call: ApiRequest, cleanup_id: str) -> dict[str, Any]:
    """What a create repeated with its `Idempotency-Key` answers: that cleanup as it is now."""
    return cleanup_views.render(cleanups.get_cleanup(bootstrap.ports(), call.tenant, cleanup_id), call)


@api.route("/api/cleanups", methods=["POST"], status=201)
@idempotent("cleanups", replay=show_created_cleanup, claims=bootstrap.claims)
def create_cleanup(call: ApiRequest, claim: Claim | None) -> dict[str, Any]:
    body = parse_resource(call.raw_body, "cleanups", relationships=("retry_of",))
    query = cleanup_views.show_query(call)
    cleanup = cleanups.create_cleanup(bootstrap.ports(), call.tenant, body.attributes, cleanup_views.actor(call),
                                      retry_of=body.relationships.get("retry_of"), claim=claim)
    return cleanup_views.render(cleanup, call, query)


@api.route("/api/cleanups/{cleanup_id}", methods=["GET"])
def show_cleanup(call: ApiRequest, cleanup_id: str) -> dict[str, Any]:
    return event_views.render_cleanup(cleanups.get_cleanup(bootstrap.ports(), call.tenant, cleanup_id), call)


@api.route("/api/cleanups/{cleanup_id}", methods=["PATCH"])
def update_cleanup(call: ApiRequest, cleanup_id: str) -> dict[str, Any]:
    body = parse_resource(call.raw_body, "cleanups", expected_id=cleanup_id)
    query = cleanup_views.show_query(call)
    cleanup = cleanups.update_cleanup(bootstrap.ports(), call.tenant, cleanup_id, body.attributes,
                                      cleanup_views.actor(call))
    return cleanup_views.render(cleanup, call, query)


@api.route("/api/cleanups/{cleanup_id}", methods=["DELETE"])
def delete_cleanup(call: ApiRequest, cleanup_id: str) -> None:
    cleanups.delete_cleanup(bootstrap.ports(), call.tenant, cleanup_id, cleanup_views.actor(call))


# --- cleanup previews (dry runs) ----------------------------------------------------------------

def show_created_preview(call: ApiRequest, preview_id: str) -> dict[str, Any]:
    """What a preview repeated with its `Idempotency-Key` answers: that preview."""
    return preview_views.render(previews.get_preview(bootstrap.preview_ports(), call.tenant, preview_id), call)


@api.route("/api/cleanup_previews", methods=["POST"], status=201)
@idempotent("cleanup_previews", replay=show_created_preview, claims=bootstrap.claims)
def create_cleanup_preview(call: ApiRequest, claim: Claim | None) -> dict[str, Any]:
    body = parse_resource(call.raw_body, previews.TYPE)
    query = preview_views.show_query(call)
    preview = previews.create_preview(bootstrap.preview_ports(), call.tenant, body.attributes, claim)
    return preview_views.render(preview, call, query)


@api.route("/api/cleanup_previews/{preview_id}", methods=["GET"])
def show_cleanup_preview(call: ApiRequest, preview_id: str) -> dict[str, Any]:
    return preview_views.render(previews.get_preview(bootstrap.preview_ports(), call.tenant, preview_id), call)


@api.route("/api/cleanups/{cleanup_id}/retry_of", methods=["GET"])
def show_retried_cleanup(call: ApiRequest, cleanup_id: str) -> dict[str, Any]:
    return cleanup_views.render_retried(cleanups.retried_cleanup(bootstrap.ports(), call.tenant, cleanup_id), call)


@api.route("/api/cleanups/{cleanup_id}/relationships/retry_of", methods=["GET"])
def cleanup_retry_linkage(call: ApiRequest, cleanup_id: str) -> dict[str, Any]:
    return cleanup_views.render_retry_linkage(cleanups.get_cleanup(bootstrap.ports(), call.tenant, cleanup_id), call)


@api.route("/api/cleanups/{cleanup_id}/schedule", methods=["GET"])
def show_cleanup_schedule_of(call: ApiRequest, cleanup_id: str) -> dict[str, Any]:
    cleanup = cleanups.get_cleanup(bootstrap.ports(), call.tenant, cleanup_id)
    if cleanup.schedule_id is None:
        return {"data": None}
    return schedule_views.render(schedules.get_schedule(bootstrap.schedule_ports(), call.tenant,
                                                        cleanup.schedule_id), call)


@api.route("/api/cleanups/{cleanup_id}/relationships/schedule", methods=["GET"])
def cleanup_schedule_linkage(call: ApiRequest, cleanup_id: str) -> dict[str, Any]:
    return cleanup_views.render_schedule_linkage(cleanups.get_cleanup(bootstrap.ports(), call.tenant, cleanup_id),
                                                 call)


# --- cleanup schedules (retention policies) -------------------------------------------------------

@api.route("/api/cleanup_schedules", methods=["GET"])
def list_cleanup_schedules(call: ApiRequest) -> dict[str, Any]:
    ports = bootstrap.schedule_ports()
    return schedule_views.render_page(
        call, lambda offset, limit, newest: schedules.page_schedules(ports, call.tenant, offset, limit, newest),
        lambda: schedules.list_schedules(ports, call.tenant))


def show_created_schedule(call: ApiRequest, schedule_id: str) -> dict[str, Any]:
    """What a create repeated with its `Idempotency-Key` answers: that schedule as it is now."""
    return schedule_views.render(schedules.get_schedule(bootstrap.schedule_ports(), call.tenant, schedule_id), call)


@api.route("/api/cleanup_schedules", methods=["POST"], status=201)
@idempotent(schedules.TYPE, replay=show_created_schedule, claims=bootstrap.claims)
def create_cleanup_schedule(call: ApiRequest, claim: Claim | None) -> dict[str, Any]:
    body = parse_resource(call.raw_body, schedules.TYPE)
    query = schedule_views.show_query(call)
    schedule = schedules.create_schedule(bootstrap.schedule_ports(), call.tenant, body.attributes, claim)
    return schedule_views.render(schedule, call, query)


@api.route("/api/cleanup_schedules/{schedule_id}", methods=["GET"])
def show_cleanup_schedule(call: ApiRequest, schedule_id: str) -> dict[str, Any]:
    return schedule_views.render(schedules.get_schedule(bootstrap.schedule_ports(), call.tenant, schedule_id), call)


@api.route("/api/cleanup_schedules/{schedule_id}", methods=["PATCH"])
def update_cleanup_schedule(call: ApiRequest, schedule_id: str) -> dict[str, Any]:
    body = parse_resource(call.raw_body, schedules.TYPE, expected_id=schedule_id)
    query = schedule_views.show_query(call)
    schedule = schedules.update_schedule(bootstrap.schedule_ports(), call.tenant, schedule_id, body.attributes,
                                         cleanup_views.actor(call))
    return schedule_views.render(schedule, call, query)


@api.route("/api/cleanup_schedules/{schedule_id}", methods=["DELETE"])
def delete_cleanup_schedule(call: ApiRequest, schedule_id: str) -> None:
    schedules.delete_schedule(bootstrap.schedule_ports(), call.tenant, schedule_id)


@api.route("/api/cleanup_schedules/{schedule_id}/cleanups", methods=["GET"])
def list_cleanup_schedule_runs(call: ApiRequest, schedule_id: str) -> dict[str, Any]:
    ports = bootstrap.schedule_ports()
    return cleanup_views.render_runs(
        call, lambda offset, limit, newest: schedules.runs_page(ports, call.tenant, schedule_id, offset, limit, newest),
        f"/api/cleanup_schedules/{schedule_id}/cleanups", event_views.cleanup_included)


@api.route("/api/cleanup_schedules/{schedule_id}/relationships/cleanups", methods=["GET"])
def cleanup_schedule_runs_linkage(call: ApiRequest, schedule_id: str) -> dict[str, Any]:
    ports = bootstrap.schedule_ports()
    return schedule_views.render_linkage(
        schedule_id, lambda offset, limit: schedules.run_ids(ports, call.tenant, schedule_id, offset, limit), call)


# --- the worker and the schedules ----------------------------------------------------------------

@app.on_sqs_message(queue="cleanups-work", batch_size=1)
def on_work_message(event: SQSEvent) -> dict[str, Any]:
    handled = handlers.message_handlers(bootstrap.ports, bootstrap.preview_ports)
    return messages.consume(event.to_dict(), event.context, handled)


@app.schedule(Rate(1, unit=Rate.MINUTES))
def reconcile(event: CloudWatchEvent) -> None:
    telemetry.reconciled(cleanups.reconcile(bootstrap.ports()))
    telemetry.previews_resent(previews.reconcile_previews(bootstrap.preview_ports()))


@app.schedule(Rate(1, unit=Rate.MINUTES))
def run_schedules(event: CloudWatchEvent) -> None:
    schedules.run_due(bootstrap.schedule_ports())


# --- events, versions, webhooks ------------------------------------------------------------------

@api.route("/api/cleanups/{cleanup_id}/events", methods=["GET"])
def list_cleanup_events(call: ApiRequest, cleanup_id: str) -> dict[str, Any]:
    found = events.events_of_cleanup(call.tenant, cleanup_id, bootstrap.cleanup_repository().get)
    return event_views.render_page("events", found, call, f"/api/cleanups/{cleanup_id}/events")


@api.route("/api/cleanups/{cleanup_id}/relationships/events", methods=["GET"])
def cleanup_events_linkage(call: ApiRequest, cleanup_id: str) -> dict[str, Any]:
    found = events.events_of_cleanup(call.tenant, cleanup_id, bootstrap.cleanup_repository().get)
    return event_views.render_linkage(found, call, f"/api/cleanups/{cleanup_id}", "events")


@api.route("/api/cleanups/{cleanup_id}/versions", methods=["GET"])
def list_cleanup_versions(call: ApiRequest, cleanup_id: str) -> dict[str, Any]:
    found = events.versions_of_cleanup(call.tenant, cleanup_id, bootstrap.cleanup_repository().get)
    return event_views.render_page("versions", found, call, f"/api/cleanups/{cleanup_id}/versions")


@api.route("/api/cleanups/{cleanup_id}/relationships/versions", methods=["GET"])
def cleanup_versions_linkage(call: ApiRequest, cleanup_id: str) -> dict[str, Any]:
    found = events.versions_of_cleanup(call.tenant, cleanup_id, bootstrap.cleanup_repository().get)
    return event_views.render_linkage(found, call, f"/api/cleanups/{cleanup_id}", "versions")


@api.route("/api/events", methods=["GET"])
def list_events(call: ApiRequest) -> dict[str, Any]:
    return event_views.render_page("events", events.list_events(call.tenant), call, "/api/events")


@api.route("/api/events/{event_id}", methods=["GET"])
def show_event(call: ApiRequest, event_id: str) -> dict[str, Any]:
    return event_views.render(events.get_event(call.tenant, event_id), call)


@api.route("/api/events/{event_id}/webhooks", methods=["GET"])
def list_event_webhooks(call: ApiRequest, event_id: str) -> dict[str, Any]:
    return event_views.render_page("webhooks", events.webhooks_of_event(call.tenant, event_id), call,
                                   f"/api/events/{event_id}/webhooks")


@api.route("/api/events/{event_id}/last_event_callbacks", methods=["GET"])
def list_event_callbacks_of_event(call: ApiRequest, event_id: str) -> dict[str, Any]:
    return event_views.render_page("event_callbacks", events.callbacks_of_event(call.tenant, event_id), call,
                                   f"/api/events/{event_id}/last_event_callbacks")


@api.route("/api/versions", methods=["GET"])
def list_versions(call: ApiRequest) -> dict[str, Any]:
    return event_views.render_page("versions", events.list_versions(call.tenant), call, "/api/versions")


@api.route("/api/versions/{version_id}", methods=["GET"])
def show_version(call: ApiRequest, version_id: str) -> dict[str, Any]:
    return event_views.render(events.get_version(call.tenant, version_id), call)


@api.route("/api/webhooks", methods=["GET"])
def list_webhooks(call: ApiRequest) -> dict[str, Any]:
    return event_views.render_page("webhooks", events.list_webhooks(call.tenant), call, "/api/webhooks")


@api.route("/api/webhooks", methods=["POST"], status=201)
def create_webhook(call: ApiRequest) -> dict[str, Any]:
    body = parse_resource(call.raw_body, "webhooks")
    query = event_views.show_query(call, "webhooks")
    return event_views.render(events.create_webhook(call.tenant, body.attributes, get_settings()), call, query)


@api.route("/api/webhooks/{webhook_id}", methods=["GET"])
def show_webhook(call: ApiRequest, webhook_id: str) -> dict[str, Any]:
    return event_views.render(events.get_webhook(call.tenant, webhook_id), call)


@api.route("/api/webhooks/{webhook_id}", methods=["PATCH"])
def update_webhook(call: ApiRequest, webhook_id: str) -> dict[str, Any]:
    body = parse_resource(call.raw_body, "webhooks", expected_id=webhook_id)
    query = event_views.show_query(call, "webhooks")
    return event_views.render(events.update_webhook(call.tenant, webhook_id, body.attributes,
                                                    get_settings()), call, query)


@api.route("/api/webhooks/{webhook_id}", methods=["DELETE"])
def delete_webhook(call: ApiRequest, webhook_id: str) -> None:
    events.delete_webhook(call.tenant, webhook_id)


@api.route("/api/webhooks/{webhook_id}/last_event_callbacks", methods=["GET"])
def list_webhook_callbacks(call: ApiRequest, webhook_id: str) -> dict[str, Any]:
    return event_views.render_page("event_callbacks", events.last_event_callbacks(call.tenant, webhook_id), call,
                                   f"/api/webhooks/{webhook_id}/last_event_callbacks")


@api.route("/api/webhooks/{webhook_id}/relationships/last_event_callbacks", methods=["GET"])
def webhook_callbacks_linkage(call: ApiRequest, webhook_id: str) -> dict[str, Any]:
    return event_views.render_linkage(events.last_event_callbacks(call.tenant, webhook_id), call,
                                      f"/api/webhooks/{webhook_id}", "last_event_callbacks")


@api.route("/api/event_callbacks", methods=["GET"])
def list_event_callbacks(call: ApiRequest) -> dict[str, Any]:
    return event_views.render_page("event_callbacks", events.list_event_callbacks(call.tenant), call,
                                   "/api/event_callbacks")


@api.route("/api/event_callbacks/{callback_id}", methods=["GET"])
def show_event_callback(call: ApiRequest, callback_id: str) -> dict[str, Any]:
    return event_views.render(events.get_event_callback(call.tenant, callback_id), call)


@api.route("/api/event_callbacks/{callback_id}/webhook", methods=["GET"])
def show_event_callback_webhook(call: ApiRequest, callback_id: str) -> dict[str, Any]:
    return event_views.render(events.webhook_of_callback(call.tenant, callback_id), call)


# --- hosted records: /api/<type>; literal routes (/api/cleanups) win over {type_name} ---------------

@api.route("/api/{type_name}", methods=["GET"])
def list_records(call: ApiRequest, type_name: str) -> dict[str, Any]:
    query, conditions = record_views.list_query(call, get_type(type_name))
    page, total = records.list_records(call.tenant, type_name, conditions, query.sort or [("id", False)],
                                       query.page_number, query.page_size, store=bootstrap.records_store())
    return record_views.render_page(page, total, call, f"/api/{type_name}", query)


@api.route("/api/{type_name}", methods=["POST"], status=201)
def create_record(call: ApiRequest, type_name: str) -> dict[str, Any]:
    rtype = get_type(type_name)
    body = parse_resource(call.raw_body, rtype.name, relationships=rtype.relationships)
    record = records.create_record(call.tenant, type_name, body.attributes, body.relationships,
                                   store=bootstrap.records_store())
    return record_views.render(record, call)


@api.route("/api/{type_name}/{record_id}", methods=["GET"])
def show_record(call: ApiRequest, type_name: str, record_id: str) -> dict[str, Any]:
    return record_views.render(records.get_record(call.tenant, type_name, record_id, store=bootstrap.records_store()),
                               call)


@api.route("/api/{type_name}/{record_id}", methods=["PATCH"])
def update_record(call: ApiRequest, type_name: str, record_id: str) -> dict[str, Any]:
    rtype = get_type(type_name)
    body = parse_resource(call.raw_body, rtype.name, expected_id=record_id, relationships=rtype.relationships)
    record = records.update_record(call.tenant, type_name, record_id, body.attributes, body.relationships,
                                   store=bootstrap.records_store())
    return record_views.render(record, call)


@api.route("/api/{type_name}/{record_id}", methods=["DELETE"])
def delete_record(call: ApiRequest, type_name: str, record_id: str) -> None:
    records.delete_record(call.tenant, type_name, record_id, store=bootstrap.records_store())


@api.route("/api/{type_name}/{record_id}/{relationship}", methods=["GET"])
def list_related_records(call: ApiRequest, type_name: str, record_id: str, relationship: str) -> dict[str, Any]:
    records.get_record(call.tenant, type_name, record_id, store=bootstrap.records_store())
    child, key = record_views.related_list(type_name, relationship)
    query, conditions = record_views.list_query(call, get_type(child))
    conditions += record_views.parent_condition(key, record_id)
    page, total = records.list_records(call.tenant, child, conditions, query.sort or [("id", False)],
                                       query.page_number, query.page_size, store=bootstrap.records_store())
    return record_views.render_page(page, total, call, f"/api/{type_name}/{record_id}/{relationship}", query)
