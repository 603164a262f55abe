"""The web adapter: registers JSON:API routes on the Chalice app.

Every `/api` view goes through `JsonApi.route`, which counts the request against its
application's rate limit (`chalicelib.ratelimit`: 429 over it, `RateLimit-*` headers on
every answer), negotiates media types, authenticates, calls the view and hands every error
to `chalicelib.jsonapi.errors` (Chalice catches view exceptions itself, so this must happen
inside the view).
"""
from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from chalice import Chalice, Response
from chalice.app import Request

from chalicelib import ratelimit, telemetry
from chalicelib.auth import Caller, authenticate
from chalicelib.exceptions import BadRequestError, RecordNotFoundError, UnauthorizedError
from chalicelib.jsonapi import JSONAPI, check_media, error_response
from chalicelib.jsonapi.errors import framework_error
from chalicelib.limits import MAX_ID_CHARS
from chalicelib.ratelimit import Usage, refuse_over_budget
from chalicelib.tenancy import Tenant

ANY_CONTENT = ["*/*"]  # our own negotiation answers 415, in JSON:API, instead of Chalice's


@dataclass
class ApiRequest:
    request: Request
    caller: Caller
    request_id: str

    @property
    def tenant(self) -> Tenant:
        return self.caller.tenant

    @property
    def params(self) -> dict[str, str]:
        """The query parameters, each given once: a repeated one is ambiguous (which copy?), a 400 naming it."""
        query: Mapping[str, str] = self.request.query_params or {}
        getlist = getattr(query, "getlist", None)  # Chalice's MultiDict keeps every copy
        for name in query:
            if getlist is not None and len(getlist(name)) > 1:
                raise BadRequestError(f"Query parameter {name} is given more than once: give it once",
                                      parameter=name)
        return dict(query)

    @property
    def raw_body(self) -> bytes | str:
        return self.request.raw_body

    @property
    def base_url(self) -> str:
        headers = self.request.headers
        scheme = headers.get("x-forwarded-proto", "http")
        host = headers.get("host", "localhost")
        stage = self.request.context.get("stage", "")
        # API Gateway's default hostname carries the stage in the path.
        prefix = f"/{stage}" if stage and "execute-api" in host else ""
        return f"{scheme}://{host}{prefix}"

    @property
    def origin(self) -> dict[str, str | None]:
        """Who asked, for versions: IP, user agent and request id."""
        identity = self.request.context.get("identity", {}) or {}
        return {"ip_address": identity.get("sourceIp"), "user_agent": self.request.headers.get("user-agent"),
                "uuid": self.request_id}


def _request_id(request: Request) -> str:
    return str(request.context.get("requestId") or uuid.uuid4())


def _check_path_ids(path_params: dict[str, str]) -> None:
    """An id longer than the ids the service issues names nothing: 404 without a read (keys have a size limit)."""
    for name, value in path_params.items():
        if name.endswith("_id") and len(value) > MAX_ID_CHARS:
            raise RecordNotFoundError(f"No record with id {value[:MAX_ID_CHARS]}… ({len(value)} characters)",
                                      parameter=name)


def _identify(request: Request) -> tuple[Caller | None, UnauthorizedError | None]:
    """The caller, or why there is none (raised after the media checks, which answer first)."""
    try:
        return authenticate(request.headers.get("authorization")), None
    except UnauthorizedError as refusal:
        return None, refusal


def _charge(request: Request, caller: Caller | None) -> Usage | None:
    """Count the request against its application's budget; without a valid token, its address's."""
    if caller is not None:
        return ratelimit.charge(f"{caller.tenant.key}#{caller.client_id}", caller.client_id)
    address = (request.context.get("identity") or {}).get("sourceIp") or "unknown"
    return ratelimit.charge(f"address#{address}", None)


def _with_usage(response: Response, spent: Usage | None) -> Response:
    if spent is not None:
        response.headers.update(spent.headers())
    return response


def _render(result: Any, status: int) -> Response:
    if isinstance(result, Response):
        return result
    if result is None:
        return Response(body="", status_code=204, headers={"Content-Type": JSONAPI})
    return Response(body=json.dumps(result), status_code=status, headers={"Content-Type": JSONAPI})


class JsonApi:
    def __init__(self, app: Chalice) -> None:
        self.app = app

    def route(self, path: str, methods: list[str], *, status: int = 200,
              kinds: Collection[str] = ("integration",)) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register `view(call: ApiRequest, **path_params)`; it returns a document, None (204) or a Response."""
        def register(view: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(view)
            def handler(**path_params: str) -> Response:
                request = self.app.current_request
                assert request is not None  # Chalice sets it before calling a view
                request_id = _request_id(request)
                telemetry.correlate(request_id)
                spent: Usage | None = None
                try:
                    caller, refusal = _identify(request)
                    spent = _charge(request, caller)
                    refuse_over_budget(spent)
                    check_media(request.headers, has_body=bool(request.raw_body))
                    if caller is None:
                        raise refusal or UnauthorizedError()
                    if caller.kind not in kinds:
                        raise UnauthorizedError(f"A {caller.kind} application may not use this resource")
                    _check_path_ids(path_params)
                    response = _render(view(ApiRequest(request, caller, request_id), **path_params), status)
                except Exception as error:  # expected or not, every error is answered as a document
                    response = error_response(error, request_id)
                return _with_usage(response, spent)

            self.app.route(path, methods=methods, content_types=ANY_CONTENT)(handler)
            return view
        return register


def plain_route(app: Chalice, path: str, methods: list[str]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A route outside `/api` (the token endpoint): JSON in, JSON out, same error documents."""
    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def handler(**path_params: str) -> Response:
            request = app.current_request
            assert request is not None  # Chalice sets it before calling a view
            request_id = _request_id(request)
            telemetry.correlate(request_id)
            try:
                body = view(request, **path_params)
                return Response(body=json.dumps(body), status_code=200, headers={"Content-Type": "application/json"})
            except Exception as error:  # expected or not, every error is answered as a document
                return error_response(error, request_id, content_type="application/json")

        app.route(path, methods=methods, content_types=ANY_CONTENT)(handler)
        return view
    return register


def jsonapi_framework_errors(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """Middleware: Chalice's own error responses (405, 415, ...) become JSON:API documents."""
    response = get_response(event)
    body = response.body
    if isinstance(body, dict) and set(body) == {"Code", "Message"}:
        error = framework_error(response.status_code, str(body["Message"]))
        return error_response(error, _request_id(event) if event else None)
    return response


def head_as_get(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """Middleware: HEAD is answered as GET without the body, as HTTP says (a body would corrupt keep-alive).

    The route is chosen from the event's method, so the GET route answers; a path without one answers 405.
    `Content-Length` says what GET would send; the body is empty.
    """
    if event is None or event.method != "HEAD":
        return get_response(event)
    event.to_original_event()["requestContext"]["httpMethod"] = "GET"
    response = get_response(event)
    body = response.body
    headers = dict(response.headers)
    if isinstance(body, str | bytes):
        headers["Content-Length"] = str(len(body.encode() if isinstance(body, str) else body))
    return Response(body="", status_code=response.status_code, headers=headers)
