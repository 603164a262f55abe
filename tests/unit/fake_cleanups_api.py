"""An in-memory cleanups API behind `httpx.MockTransport`, for the command-line client's unit tests.

It answers the routes the CLI calls with JSON:API documents shaped as the service's, advances a cleanup
along a scripted list of snapshots on each GET, and records every request for the tests to inspect.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

Handler = Callable[[httpx.Request], httpx.Response]


def error(status: int, code: str, title: str, detail: str, pointer: str | None = None) -> httpx.Response:
    body: dict[str, Any] = {"title": title, "detail": detail, "code": code, "status": str(status)}
    if pointer is not None:
        body["source"] = {"pointer": pointer}
    return httpx.Response(status, json={"errors": [body]})


def cleanup_attributes(status: str = "pending", records: int = 0, processed: int = 0, errors: int = 0,
                       **more: Any) -> dict[str, Any]:
    return {"resource_type": "skus", "status": status, "records_count": records, "processed_count": processed,
            "errors_count": errors, "filters": {}, "created_at": "2026-01-01T12:00:00.000Z",
            "started_at": "2026-01-01T12:00:01.000Z" if status != "pending" else None, **more}


COUNTED = {"status": "completed", "records_count": 2, "counted_count": 2,
           "associated_counts": {"prices": 2, "stock_items": 4}, "items_count": 8,
           "sample": [{"id": "Sku0000001", "code": "TSHIRT-S"}], "estimated_seconds": 3, "errors": {}}


def pending_preview(counted: int) -> dict[str, Any]:
    return {"status": "pending", "counted_count": counted, "records_count": None, "associated_counts": None,
            "items_count": None, "estimated_seconds": None}


@dataclass
class FakeCleanupsApi:
    with_preview_route: bool = True
    tokens_issued: int = 0
    accepted_tokens: set[str] = field(default_factory=set)
    requests: list[httpx.Request] = field(default_factory=list)
    snapshots: list[dict[str, Any]] = field(default_factory=lambda: [cleanup_attributes("completed")])
    overrides: dict[tuple[str, str], list[httpx.Response]] = field(default_factory=dict)
    schedules: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> attributes
    # A pending preview: what the POST answers and each GET after it (the last one repeats); empty: counted at once.
    preview_states: list[dict[str, Any]] = field(default_factory=list)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def answer_next(self, method: str, path: str, *responses: httpx.Response) -> None:
        """The next requests to `method path` get these responses, in order, before the normal answer."""
        self.overrides.setdefault((method, path), []).extend(responses)

    def sent(self, method: str, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and r.url.path == path]

    def body(self, request: httpx.Request) -> Any:
        return json.loads(request.content)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        queued = self.overrides.get((request.method, request.url.path))
        if queued:
            return queued.pop(0)
        if request.url.path == "/oauth/token":
            return self._token(request)
        if request.headers.get("Authorization", "").removeprefix("Bearer ") not in self.accepted_tokens:
            return error(401, "INVALID_TOKEN", "Invalid token", "The access token is expired or invalid")
        return self._route(request)

    def _token(self, request: httpx.Request) -> httpx.Response:
        if self.body(request).get("client_secret") != "dev-secret":
            return httpx.Response(401, json={"errors": [{"title": "Unauthorized", "detail": "Bad credentials",
                                                          "code": "UNAUTHORIZED", "status": "401"}]})
        self.tokens_issued += 1
        token = f"token-{self.tokens_issued}"
        self.accepted_tokens.add(token)
        return httpx.Response(200, json={"access_token": token, "token_type": "bearer", "expires_in": 7200})

    def _route(self, request: httpx.Request) -> httpx.Response:
        method, path = request.method, request.url.path
        if (method, path) == ("GET", "/api/application"):
            return _document({"id": "App0000001", "type": "applications",
                              "attributes": {"name": "Dev integration", "kind": "integration"}})
        if (method, path) == ("POST", "/api/cleanup_previews") and self.with_preview_route:
            return self._preview(request)
        if path.startswith("/api/cleanup_schedules"):
            return self._schedules(request)
        if (method, path) == ("GET", "/api/cleanup_previews/Prv0000001") and self.preview_states:
            state = self.preview_states.pop(0) if len(self.preview_states) > 1 else self.preview_states[0]
            return _document({"id": "Prv0000001", "type": "cleanup_previews", "attributes": {**COUNTED, **state}})
        if (method, path) == ("GET", "/api/skus"):
            return _document([_sku("Sku0000001", "TSHIRT-S"), _sku("Sku0000002", "TSHIRT-M")], record_count=2)
        if (method, path) == ("POST", "/api/cleanups"):
            return _document(self._cleanup(self.snapshots[0]), status=201)
        if (method, path) == ("GET", "/api/cleanups"):
            return _document([self._cleanup(snapshot) for snapshot in self.snapshots[-1:]], record_count=1)
        if (method, path) == ("GET", "/api/cleanups/Cln0000001"):
            snapshot = self.snapshots.pop(0) if len(self.snapshots) > 1 else self.snapshots[0]
            return _document(self._cleanup(snapshot))
        if (method, path) == ("PATCH", "/api/cleanups/Cln0000001"):
            attributes = self.body(request)["data"]["attributes"]
            changed = {"status": "interrupted"} if attributes.get("_interrupt") else {"restore_status": "pending"}
            return _document(self._cleanup({**self.snapshots[0], **changed}))
        return error(404, "RECORD_NOT_FOUND", "Record not found", f"{method} {path} does not exist")

    def _preview(self, request: httpx.Request) -> httpx.Response:
        attributes = self.body(request)["data"]["attributes"]
        state = self.preview_states.pop(0) if self.preview_states else {}
        return _document({"id": "Prv0000001", "type": "cleanup_previews", "attributes": {
            **attributes, **COUNTED, **state}}, status=201)

    def _schedules(self, request: httpx.Request) -> httpx.Response:
        """`/api/cleanup_schedules[/{id}[/cleanups]]`: kept in `schedules`; a run creates a completed cleanup."""
        method, parts = request.method, request.url.path.split("/")[3:]
        if parts == [] and method == "GET":
            found = [self._schedule(key) for key in reversed(self.schedules)]
            return _document(found, record_count=len(found))
        if parts == [] and method == "POST":
            key = f"Sch{len(self.schedules) + 1:07d}"
            self.schedules[key] = {"enabled": True, "max_records_per_run": 10000, "max_records_per_second": None,
                                   **self.body(request)["data"]["attributes"], "next_run_at": "2026-01-02T03:00:00Z",
                                   "last_run_at": None, "last_run_outcome": None, "runs_count": 0}
            return _document(self._schedule(key), status=201)
        if not parts or parts[0] not in self.schedules:
            return error(404, "RECORD_NOT_FOUND", "Record not found", f"{method} {request.url.path} does not exist")
        key, attributes = parts[0], self.schedules[parts[0]]
        if parts[1:] == ["cleanups"] and method == "GET":
            runs = [self._cleanup(snapshot) for snapshot in self.snapshots[-1:]][:attributes["runs_count"]]
            return _document(runs, record_count=len(runs))
        if method == "GET":
            return _document(self._schedule(key))
        if method == "DELETE":
            del self.schedules[key]
            return httpx.Response(204)
        changes = dict(self.body(request)["data"]["attributes"])
        if changes.pop("_run", False):
            changes.update(last_run_at="2026-01-01T12:30:00Z", last_run_outcome="created",
                           runs_count=attributes["runs_count"] + 1)
        attributes.update(changes)
        return _document(self._schedule(key))

    def _schedule(self, key: str) -> dict[str, Any]:
        return {"id": key, "type": "cleanup_schedules", "attributes": self.schedules[key]}

    def _cleanup(self, attributes: dict[str, Any]) -> dict[str, Any]:
        return {"id": "Cln0000001", "type": "cleanups", "attributes": attributes}


def _sku(record_id: str, code: str) -> dict[str, Any]:
    return {"id": record_id, "type": "skus", "attributes": {"code": code, "name": f"T-shirt {code[-1]}"}}


def _document(data: Any, status: int = 200, record_count: int | None = None) -> httpx.Response:
    body: dict[str, Any] = {"data": data}
    if record_count is not None:
        body["meta"] = {"record_count": record_count, "page_count": 1}
    return httpx.Response(status, json=body, headers={"Content-Type": "application/vnd.api+json"})
