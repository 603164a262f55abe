"""Content negotiation, as JSON:API asks it: bodies in its media type, answers that a client accepts."""
from __future__ import annotations

from collections.abc import Mapping

from chalicelib.exceptions import NotAcceptableError, UnsupportedMediaTypeError

JSONAPI = "application/vnd.api+json"
_ACCEPTABLE = {JSONAPI, "application/*", "*/*", "application/json"}


def _media_types(header: str) -> list[str]:
    return [part.split(";")[0].strip().lower() for part in header.split(",") if part.strip()]


def check_media(headers: Mapping[str, str], has_body: bool) -> None:
    """Refuse a body that is not JSON:API (415) and an Accept that excludes it (406).

    Clients send `Content-Type: application/vnd.api+json` on GET and DELETE too: accepted.
    """
    content_type = headers.get("content-type")
    if has_body and content_type is not None and _media_types(content_type)[:1] != [JSONAPI]:
        raise UnsupportedMediaTypeError(f"Content-Type must be {JSONAPI}, got {content_type!r}",
                                        parameter="Content-Type")
    accept = headers.get("accept")
    if accept and not _ACCEPTABLE.intersection(_media_types(accept)):
        raise NotAcceptableError(f"This API answers {JSONAPI} only; Accept was {accept!r}", parameter="Accept")
