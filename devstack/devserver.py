"""`chalice local`, with API Gateway's "no such route" answered in JSON:API as the deployed stage does.

It also answers HEAD without a body, and takes bursts of concurrent connections (a thread each, a deep
listen backlog), as API Gateway would.

Deployed, the template's gateway responses turn API Gateway's own 403 "Missing
Authentication Token" (no route matched) into a JSON:API 404; this handler does
the same for the dev server, so no framework error shape reaches a client locally.

    python -m devstack.devserver --project-dir . --host 127.0.0.1 --port 8000 --stage dev
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Any

from chalice import local
from chalice.cli import factory as cli_factory
from chalice.cli import validate_routes

from chalicelib.exceptions import RecordNotFoundError
from chalicelib.jsonapi.errors import JSONAPI, error_body


class JsonApiRequestHandler(local.ChaliceRequestHandler):
    def _send_error_response(self, error: local.LocalGatewayException) -> None:
        if isinstance(error, local.ForbiddenError) and b"Missing Authentication Token" in (error.body or b""):
            body = json.dumps(error_body(RecordNotFoundError(f"No route for {self.command} {self.path}")))
            self._send_http_response(404, {"Content-Type": JSONAPI}, body)
            return
        super()._send_error_response(error)

    def _send_http_response(self, code: int, headers: dict[str, Any], body: str | bytes | None) -> None:
        if self.command != "HEAD":
            super()._send_http_response(code, headers, body)
            return
        # A HEAD response never has a body: one would be read as the start of the next response.
        headers = dict(headers)
        length = headers.pop("Content-Length", None) or str(len(body or b""))
        self.send_response(code)
        self.send_header("Content-Length", length)
        self._send_headers(headers)


class ThreadedServer(local.ThreadedHTTPServer):
    """A thread per connection, and a listen backlog for bursts of new connections (socketserver's is 5)."""

    request_queue_size = 128
    daemon_threads = True


def serve(project_dir: str, host: str, port: int, stage: str) -> None:
    config = cli_factory.CLIFactory(project_dir).create_config_obj(chalice_stage_name=stage)
    app = config.chalice_app
    validate_routes(app.routes)
    # What chalice.local.create_local_server does, with our handler class.
    local.CustomLocalChalice.__bases__ = (local.LocalChalice, app.__class__)
    app.__class__ = local.CustomLocalChalice
    server = local.LocalDevServer(app, config, host, port, handler_cls=JsonApiRequestHandler, server_cls=ThreadedServer)
    server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devstack.devserver")
    parser.add_argument("--project-dir", default=".")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--stage", default="dev")
    args = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
    serve(args.project_dir, args.host, args.port, args.stage)


if __name__ == "__main__":
    main()
