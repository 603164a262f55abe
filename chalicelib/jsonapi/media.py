"""Content negotiation, as JSON:API asks it: bodies in its media type, answers that a client accepts.

A body needs `Content-Type` naming exactly one media type, JSON:API's (parameters such as
`charset` are ignored): anything else, no header included, is a 415. `Accept` is read with
RFC 9110 weights: the most specific range matching JSON:API decides (`application/json`
counts only when none does), and a weight of 0 excludes it: a 406. A range that does not
parse, or names a parameter twice, matches nothing. Requests without a body may omit
`Content-Type` or send any.
"""
from __future__ import annotations

import re
from collections.abc import Mapping

from chalicelib.exceptions import NotAcceptableError, UnsupportedMediaTypeError

JSONAPI = "application/vnd.api+json"
# How specific each range that may cover JSON:API is; `application/json`, which does not, last (compatibility).
_PRECEDENCE = {JSONAPI: 3, "application/*": 2, "*/*": 1, "application/json": 0}

# RFC 9110 §5.6: token, quoted-string, a media type with its parameters (empty ones allowed), a weight.
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_QUOTED = r'"(?:[^"\\]|\\.)*"'
_MEDIA_TYPE = re.compile(rf"\s*({_TOKEN}/{_TOKEN})((?:\s*;(?:\s*{_TOKEN}=(?:{_TOKEN}|{_QUOTED}))?)*)\s*")
_PARAMETER = re.compile(rf"\s*;\s*({_TOKEN})=({_TOKEN}|{_QUOTED})")
_ELEMENT = re.compile(rf'(?:[^,"]|{_QUOTED})+')  # one member of a comma-separated list, commas in quotes kept
_QVALUE = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?")


def _media_type(text: str) -> tuple[str, dict[str, str]] | None:
    """`type/subtype` (lower case) and its parameters (names lower case); None unless it parses, names unique."""
    match = _MEDIA_TYPE.fullmatch(text)
    if match is None:
        return None
    pairs = [(name.lower(), value) for name, value in _PARAMETER.findall(match.group(2))]
    parameters = dict(pairs)
    return (match.group(1).lower(), parameters) if len(parameters) == len(pairs) else None


def _weight(accept: str) -> float:
    """The weight `accept` gives JSON:API: that of its most specific matching range (the lowest, if repeated)."""
    best: tuple[int, float] | None = None
    for element in _ELEMENT.findall(accept):
        parsed = _media_type(element) if element.strip() else None
        if parsed is None or parsed[0] not in _PRECEDENCE:
            continue
        media_range, parameters = parsed
        qvalue = parameters.get("q", "1")
        if not _QVALUE.fullmatch(qvalue):
            continue
        candidate = (_PRECEDENCE[media_range], float(qvalue))
        if best is None or candidate[0] > best[0]:
            best = candidate
        elif candidate[0] == best[0]:
            best = min(best, candidate)
    return 0.0 if best is None else best[1]


def check_media(headers: Mapping[str, str], has_body: bool) -> None:
    """Refuse a body that is not JSON:API (415) and an Accept that excludes it (406).

    Clients send `Content-Type: application/vnd.api+json` on GET and DELETE too: accepted.
    """
    content_type = headers.get("content-type")
    if has_body:
        parsed = _media_type(content_type) if content_type is not None else None
        if parsed is None or parsed[0] != JSONAPI:
            got = "none" if content_type is None else repr(content_type)
            raise UnsupportedMediaTypeError(f"A request body needs Content-Type {JSONAPI}; got {got}",
                                            header="Content-Type")
    accept = headers.get("accept")
    if accept and _weight(accept) <= 0:
        raise NotAcceptableError(f"This API answers {JSONAPI} only, which Accept {accept!r} excludes",
                                 header="Accept")
