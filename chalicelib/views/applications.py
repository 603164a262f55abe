"""`GET /api/application`: the calling application."""
from __future__ import annotations

from typing import Any

from chalicelib.auth import Application
from chalicelib.exceptions import RecordNotFoundError
from chalicelib.http import ApiRequest
from chalicelib.jsonapi import Resource, render_one


def render(application: Application | None, call: ApiRequest) -> dict[str, Any]:
    if application is None:
        raise RecordNotFoundError("The calling application no longer exists")
    resource = Resource(
        type="applications", id=application.id, mode=application.mode,
        attributes={"name": application.name, "kind": application.kind, "public": application.public,
                    "confidential": not application.public, "client_id": application.client_id,
                    "organization": {"id": application.organization_id, "slug": application.organization_slug,
                                     "name": application.organization_name},
                    "created_at": application.created_at, "updated_at": application.created_at},
    )
    return render_one(resource, call.base_url)
