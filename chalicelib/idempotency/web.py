"""`@idempotent(scope, replay)`: the `Idempotency-Key` header on a create route, in one line.

Stacked under `@api.route(...)`; the view gains a `claim` argument to pass down to the store,
which commits it with what it creates (`chalicelib.idempotency.store.add_claim`).
"""
from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from chalice import Response

from chalicelib.http import ApiRequest
from chalicelib.idempotency.model import HEADER, REPLAYED_HEADER, claim_of
from chalicelib.idempotency.service import ClaimStore, once
from chalicelib.jsonapi import JSONAPI
from chalicelib.tenancy import now

CREATED = 201  # a replay answers what the first create answered
Document = dict[str, Any]


def idempotent(scope: str, replay: Callable[[ApiRequest, str], Document],
               claims: Callable[[], ClaimStore]) -> Callable[..., Any]:
    """Make `view(call, claim, **path)` create once per key: a repeat answers `replay(call, resource_id)`.

    `scope` names what the route creates (its key space); `replay` renders that resource as it is now;
    `claims` builds the claims store per request (`chalicelib.bootstrap.claims`).
    """
    def wrap(view: Callable[..., Document]) -> Callable[..., Any]:
        @functools.wraps(view)
        def handler(call: ApiRequest, **path: str) -> Document | Response:
            claim = claim_of(call.tenant, scope, call.request.headers.get(HEADER), call.raw_body, now())
            outcome = once(claims(), claim, lambda taken: view(call, taken, **path),
                           lambda resource_id: replay(call, resource_id))
            if not outcome.replayed:
                return outcome.value
            return Response(body=json.dumps(outcome.value), status_code=CREATED,
                            headers={"Content-Type": JSONAPI, REPLAYED_HEADER: "true"})
        return handler
    return wrap
