"""The HTTP adapter for webhook deliveries (standard library `http.client`).

The connection goes to the address `targets.resolve_checked` approved, with the
URL's host name kept for the Host header and TLS (certificate and SNI), so a
name that resolves elsewhere by the time we connect is never followed.
Redirects are not followed (a POST turned into a GET would lose the payload, and
a redirect could point inside): a 3xx is an answer like any other. Only a short
excerpt of the receiver's answer is read and kept.
"""
from __future__ import annotations

import http.client
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from chalicelib.events.targets import Resolve, TargetRefusedError, resolve_checked, system_resolve

MESSAGE_LIMIT = 256  # bytes of the receiver's answer stored on the callback


@dataclass(frozen=True)
class Answer:
    code: str | None  # None when no HTTP answer came (refused target, timed out, TLS error)
    message: str


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int | None, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int | None, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def _text(raw: bytes, reason: str) -> str:
    body = raw[:MESSAGE_LIMIT].decode("utf-8", "replace").strip()
    return body or reason


def post(url: str, body: bytes, headers: dict[str, str], timeout: float, *, allow_loopback: bool,
         resolve: Resolve | None = None) -> Answer:
    """POST `body` to a checked address; the receiver's status and a short message, whatever happens."""
    try:
        address = resolve_checked(url, allow_loopback, resolve or system_resolve)
    except TargetRefusedError as refused:
        return Answer(None, f"refused: {refused}"[:MESSAGE_LIMIT])
    parts = urlsplit(url)
    kind = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = kind(parts.hostname or "", parts.port, address, timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        return Answer(str(response.status), _text(response.read(MESSAGE_LIMIT), response.reason or ""))
    except (OSError, http.client.HTTPException, ValueError) as error:
        return Answer(None, f"{type(error).__name__}: {error}"[:MESSAGE_LIMIT])
    finally:
        connection.close()
