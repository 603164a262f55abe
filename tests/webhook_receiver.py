"""A webhook endpoint on loopback for the tests that watch real deliveries (local stack, deployed stack)."""
from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any


class Receiver(BaseHTTPRequestHandler):
    """Answers 200 to every POST and keeps what it was sent: (headers with lower-case names, body)."""

    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 - the http.server hook name
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def receiving(path: str, certificate: tuple[Path, Path] | None = None) -> Iterator[str]:
    """The URL of a fresh `Receiver` on a free loopback port, served until the block ends; https with `certificate`."""
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    scheme = "http"
    if certificate is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*certificate)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    Receiver.received = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}{path}"
    finally:
        server.shutdown()
