"""The HTTP adapter for webhook deliveries (standard library `urllib`).

Redirects are not followed (a POST turned into a GET would lose the payload and
the signature would no longer match): a 3xx is an answer like any other.
"""
from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

_MESSAGE_LIMIT = 1000  # the receiver's answer is stored on the callback: keep it small


@dataclass(frozen=True)
class Answer:
    code: str | None  # None when no HTTP answer came (refused, timed out, TLS error)
    message: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _text(raw: bytes, reason: str) -> str:
    body = raw[:_MESSAGE_LIMIT].decode("utf-8", "replace").strip()
    return body or reason


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST `body`; the receiver's status and a short message, whatever happens."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=timeout) as response:
            return Answer(str(response.status), _text(response.read(_MESSAGE_LIMIT), response.reason or ""))
    except urllib.error.HTTPError as error:
        with error:
            return Answer(str(error.code), _text(error.read(_MESSAGE_LIMIT), str(error.reason)))
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return Answer(None, f"{type(error).__name__}: {reason}"[:_MESSAGE_LIMIT])
