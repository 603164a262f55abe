"""Webhook delivery against moto and a real HTTP receiver on loopback: signature, callbacks, retries, circuit."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from chalicelib import bootstrap, cleanups, events, schedules
from chalicelib.cleanups.adapters import filters_store
from chalicelib.config import get_settings
from chalicelib.events import create_webhook, deliver, get_webhook, update_webhook
from chalicelib.events.delivery import STORED_PAYLOAD_BYTES
from chalicelib.events.model import MAX_ATTEMPTS
from tests.integration.test_events_fixtures import APP_ACTOR, events_env, queued  # noqa: F401

GET_CLEANUP = bootstrap.cleanup_repository().get  # what the handlers pass to the events reads

pytestmark = pytest.mark.usefixtures("events_env")


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook endpoint on loopback answering `status` and keeping what it got."""

    status: int = 200
    body: bytes = b""
    requests: list[Received] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def receiver(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    request.getfixturevalue("events_env")  # first: it clears WEBHOOK_ALLOW_LOOPBACK
    monkeypatch.setenv("WEBHOOK_ALLOW_LOOPBACK", "1")  # loopback receivers: allowed only where the stage says so
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(state.status)
            self.end_headers()
            self.wfile.write(state.body or (b"ok" if state.status < 300 else b"receiver says no"))

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    # polled every 10 ms, not serve_forever's 500: shutdown waits up to one poll after the test
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def _fired(tenant, topic: str = "cleanups.create") -> dict:
    """Create a cleanup (nothing to delete: completed at once) and return the delivery message of `topic`."""
    cleanups.create_cleanup(bootstrap.ports(), tenant, {"resource_type": "skus"}, APP_ACTOR)
    (message,) = [body for body, _ in queued() if body["topic"] == topic]
    return message


def _retries() -> list[tuple[int, int]]:
    return sorted((body["attempt"], delay) for body, delay in queued() if body["attempt"] > 1)


def test_deliver_posts_the_signed_cleanup_and_records_the_callback(tenant, receiver):
    # Given a webhook on cleanups.create at the receiver, and a cleanup created
    hook = create_webhook(tenant, {"topic": "cleanups.create", "callback_url": receiver.url}, get_settings())
    message = _fired(tenant)
    # When the delivery message is handled
    deliver(message, GET_CLEANUP, get_settings())
    # Then the receiver got the cleanup document, signed with the webhook's secret
    (request,) = receiver.requests
    expected = base64.b64encode(hmac.new(hook.shared_secret.encode(), request.body, hashlib.sha256).digest()).decode()
    assert request.headers["x-commercelayer-signature"] == expected
    assert request.headers["x-commercelayer-topic"] == "cleanups.create"
    assert request.headers["content-type"] == "application/vnd.api+json"
    document = json.loads(request.body)
    assert (document["data"]["type"], document["data"]["id"]) == ("cleanups", message["resource"]["id"])
    assert document["data"]["attributes"]["status"] == "completed"
    # And one callback records the attempt, for the webhook and the event
    (callback,) = events.last_event_callbacks(tenant, hook.id)
    assert (callback.response_code, callback.callback_url, callback.payload) == ("200", receiver.url, document)
    assert events.callbacks_of_event(tenant, message["event_id"]) == [callback]
    assert events.get_event_callback(tenant, callback.id) == callback
    assert _retries() == []


def test_deliver_includes_requested_relationships(tenant, receiver):
    # Given a webhook asking for the cleanup's events
    create_webhook(tenant, {"topic": "cleanups.create", "callback_url": receiver.url, "include_resources": ["events"]},
                   get_settings())
    # When the create is delivered
    deliver(_fired(tenant), GET_CLEANUP, get_settings())
    # Then the payload includes the cleanup's events, linked from the relationship
    document = json.loads(receiver.requests[0].body)
    names = sorted(r["attributes"]["name"] for r in document["included"])
    assert names == ["cleanups.complete", "cleanups.create"]
    assert len(document["data"]["relationships"]["events"]["data"]) == 2


def test_deliver_sends_the_carried_attributes_when_the_cleanup_is_gone(tenant, receiver):
    # Given a webhook on cleanups.destroy, and a cleanup deleted
    create_webhook(tenant, {"topic": "cleanups.destroy", "callback_url": receiver.url}, get_settings())
    cleanup = cleanups.create_cleanup(bootstrap.ports(), tenant, {"resource_type": "skus"}, APP_ACTOR)
    cleanups.delete_cleanup(bootstrap.ports(), tenant, cleanup.id, APP_ACTOR)
    (message,) = [body for body, _ in queued() if body["topic"] == "cleanups.destroy"]
    # When the destroy is delivered
    deliver(message, GET_CLEANUP, get_settings())
    # Then the receiver gets the cleanup as it was last seen
    document = json.loads(receiver.requests[0].body)
    assert document["data"]["id"] == cleanup.id
    assert document["data"]["attributes"] == cleanup.attributes()


def test_deliver_retries_a_failure_with_growing_delays(tenant, receiver):
    # Given a receiver answering 500
    receiver.status = 500
    hook = create_webhook(tenant, {"topic": "cleanups.create", "callback_url": receiver.url}, get_settings())
    message = _fired(tenant)
    # When the message and its first retry are handled
    deliver(message, GET_CLEANUP, get_settings())
    (retry,) = [body for body, _ in queued() if body["attempt"] == 2]
    deliver(retry, GET_CLEANUP, get_settings())
    # Then each attempt was recorded, counted, and re-enqueued with a doubled DelaySeconds
    assert _retries() == [(2, 30), (3, 60)]
    codes = [c.response_code for c in events.last_event_callbacks(tenant, hook.id)]
    assert codes == ["500", "500"]
    assert events.last_event_callbacks(tenant, hook.id)[0].response_message == "receiver says no"
    assert get_webhook(tenant, hook.id).circuit_failure_count == 2


def test_deliver_resets_the_failure_count_on_success(tenant, receiver):
    # Given a webhook that failed once
    receiver.status = 503
    hook = create_webhook(tenant, {"topic": "cleanups.create", "callback_url": receiver.url}, get_settings())
    message = _fired(tenant)
    deliver(message, GET_CLEANUP, get_settings())
    # When the retry goes through
    receiver.status = 204
    deliver({**message, "attempt": 2}, GET_CLEANUP, get_settings())
    # Then the consecutive failures start again from zero
    assert get_webhook(tenant, hook.id).circuit_failure_count == 0


def test_deliver_opens_the_circuit_after_max_failures_and_then_stops(tenant, receiver, monkeypatch):
    # Given a limit of three consecutive failures and a receiver answering 500
    monkeypatch.setenv("WEBHOOK_MAX_FAILURES", "3")
    receiver.status = 500
    hook = create_webhook(tenant, {"topic": "cleanups.create", "callback_url": receiver.url}, get_settings())
    message = _fired(tenant)
    # When three attempts fail
    for attempt in (1, 2, 3):
        deliver({**message, "attempt": attempt}, GET_CLEANUP, get_settings())
    # Then the circuit is open, the third failure is not retried, and later messages are not sent
    opened = get_webhook(tenant, hook.id)
    assert (opened.circuit_state, opened.circuit_failure_count) == ("open", 3)
    assert sorted(attempt for attempt, _ in _retries()) == [2, 3]
    deliver({**message, "attempt": 4}, GET_CLEANUP, get_settings())
    assert len(receiver.requests) == 3
    assert len(events.last_event_callbacks(tenant, hook.id)) == 3
    # And resetting the circuit lets deliveries through again
    update_webhook(tenant, hook.id, {"_reset_circuit": True}, get_settings())
    receiver.status = 200
    deliver(message, GET_CLEANUP, get_settings())
    assert len(receiver.requests) == 4 and get_webhook(tenant, hook.id).circuit_state == "closed"


def test_deliver_skips_disabled_and_deleted_webhooks(tenant, receiver):
    # Given a webhook that is disabled after its event fired
    hook = create_webhook(tenant, {"topic": "cleanups.create", "callback_url": receiver.url}, get_settings())
    message = _fired(tenant)
    update_webhook(tenant, hook.id, {"_disable": True}, get_settings())
    # When the message is handled, and again after the webhook is deleted
    deliver(message, GET_CLEANUP, get_settings())
    events.delete_webhook(tenant, hook.id)
    deliver(message, GET_CLEANUP, get_settings())
    # Then nothing was sent
    assert receiver.requests == []


def test_deliver_records_an_unreachable_receiver_as_a_failure(tenant, receiver):
    # Given a webhook whose receiver has gone away
    hook = create_webhook(tenant, {"topic": "cleanups.create", "callback_url": receiver.url.replace("/hooks", "")},
                          get_settings())
    update_webhook(tenant, hook.id, {"callback_url": "http://127.0.0.1:9/closed"}, get_settings())
    # When a delivery is attempted
    deliver(_fired(tenant), GET_CLEANUP, get_settings())
    # Then the callback has no response code, and a retry is queued
    (callback,) = events.last_event_callbacks(tenant, hook.id)
    assert callback.response_code is None and callback.response_message
    assert _retries() == [(2, 30)]


def test_deliver_gives_up_after_the_last_attempt(tenant, receiver):
    # Given a failing receiver and a message on its last attempt
    receiver.status = 500
    create_webhook(tenant, {"topic": "cleanups.create", "callback_url": receiver.url}, get_settings())
    message = _fired(tenant)
    # When it fails again, then no further retry is queued
    deliver({**message, "attempt": MAX_ATTEMPTS}, GET_CLEANUP, get_settings())
    assert _retries() == []


def test_deliver_refuses_a_host_that_resolves_inside_at_delivery_time(tenant, receiver, monkeypatch):
    # Given an https webhook whose name passed at create, but now resolves to a private address (rebinding)
    hook = create_webhook(tenant, {"topic": "cleanups.create", "callback_url": "https://hooks.example.com/h"},
                          get_settings())
    monkeypatch.setattr("chalicelib.events.adapters.transport.system_resolve", lambda host, port: ["10.0.0.1"])
    # When a delivery is attempted
    deliver(_fired(tenant), GET_CLEANUP, get_settings())
    # Then nothing is sent, the callback says why, and it counts as a failure
    (callback,) = events.last_event_callbacks(tenant, hook.id)
    assert (callback.response_code, callback.response_message) == (None, "refused: 10.0.0.1 is not a public address")
    assert receiver.requests == [] and _retries() == [(2, 30)]


def test_deliver_keeps_only_a_short_excerpt_of_the_answer(tenant, receiver):
    # Given a receiver whose answer is long
    receiver.body = b"x" * 100_000
    hook = create_webhook(tenant, {"topic": "cleanups.create", "callback_url": receiver.url}, get_settings())
    # When the event is delivered
    deliver(_fired(tenant), GET_CLEANUP, get_settings())
    # Then the stored message is bounded
    (callback,) = events.last_event_callbacks(tenant, hook.id)
    assert callback.response_code == "200" and len(callback.response_message) == 256


def test_deliver_posts_a_schedules_run_with_its_outcome_and_the_cleanup_it_created(tenant, receiver):
    # Given a webhook on cleanup_schedules.run, and a schedule run now
    create_webhook(tenant, {"topic": "cleanup_schedules.run", "callback_url": receiver.url}, get_settings())
    schedule = schedules.create_schedule(bootstrap.schedule_ports(), tenant,
                                         {"name": "Nightly", "resource_type": "skus", "cron": "0 3 * * *"})
    run = schedules.update_schedule(bootstrap.schedule_ports(), tenant, schedule.id, {"_run": True}, APP_ACTOR)
    (message,) = [body for body, _ in queued() if body["topic"] == "cleanup_schedules.run"]
    # When the delivery is handled
    deliver(message, GET_CLEANUP, get_settings())
    # Then the receiver got the schedule as the run left it, linked to the cleanup that run created
    document = json.loads(receiver.requests[0].body)
    assert (document["data"]["type"], document["data"]["id"]) == ("cleanup_schedules", schedule.id)
    assert document["data"]["attributes"]["last_run_outcome"] == "created"
    assert document["data"]["attributes"]["runs_count"] == run.runs_count == 1
    assert document["data"]["relationships"]["cleanups"]["data"] == [{"type": "cleanups", "id": run.last_cleanup_id}]
    assert receiver.requests[0].headers["x-commercelayer-topic"] == "cleanup_schedules.run"


def test_a_cleanup_with_10000_ordinary_codes_is_delivered_with_its_filters_even_once_deleted(tenant, receiver):
    # Given a webhook on cleanups.create, and a cleanup of 10,000 19-character codes (about 230 KB of filters)
    hook = create_webhook(tenant, {"topic": "cleanups.create", "callback_url": receiver.url}, get_settings())
    filters = {"code_in": [f"SKU-{n:06d}-ABCDEFGH" for n in range(10_000)]}
    cleanup = cleanups.create_cleanup(bootstrap.ports(), tenant, {"resource_type": "skus", "filters": filters},
                                      APP_ACTOR)
    # When its delivery message is queued (within SQS's 256 KB: the filters are left out of it) and handled,
    # then handled again once the cleanup is deleted
    (message,) = [body for body, _ in queued() if body["topic"] == "cleanups.create"]
    assert len(json.dumps(message)) < 256 * 1024 and message["filters_apart"] is True
    deliver(message, GET_CLEANUP, get_settings())
    cleanups.delete_cleanup(bootstrap.ports(), tenant, cleanup.id, APP_ACTOR)
    filters_store._KEPT.clear()
    deliver(message, GET_CLEANUP, get_settings())
    # Then both deliveries carried the filters whole
    assert [json.loads(r.body)["data"]["attributes"]["filters"] for r in receiver.requests] == [filters, filters]
    # And each callback keeps the payload's size, not the payload (stored three times, it could pass 400 KB),
    # with the signature of the whole payload; no delivery failed or was retried
    callbacks = events.last_event_callbacks(tenant, hook.id)
    assert [c.payload for c in callbacks] == [{"meta": {"payload_bytes": len(r.body), "omitted": (
        f"over the {STORED_PAYLOAD_BYTES} bytes a callback keeps")}} for r in receiver.requests[::-1]]
    assert [c.signature for c in callbacks] == [r.headers["x-commercelayer-signature"] for r in receiver.requests[::-1]]
    assert {c.response_code for c in callbacks} == {"200"} and _retries() == []
