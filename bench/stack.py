"""The local stack inside the bench process, so one counter sees every AWS call.

The emulators (moto, DynamoDB Local) run as children exactly as in `python -m devstack`;
the API (Chalice's own local server), the SQS pollers and the schedule runner run here in
threads, so `bench.calls` counts every call they make. The pollers' own ReceiveMessage and
DeleteMessageBatch calls are counted too (the managed event source mapping makes them on AWS).
`server_process()` starts a real `chalice local` child for latency figures, where client
threads must not share a GIL with the server.
"""
from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

import boto3
import requests
from chalice.local import ChaliceRequestHandler, LocalDevServer

from bench import calls
from chalicelib import aws, dynamo, queue
from chalicelib.tenancy import Tenant
from devstack.dev_applications import DEV_ORGANIZATION, DEV_SECRET, seed_dev_applications
from devstack.embedded_aws import aws_environment, start_emulators
from devstack.lambda_runtime import (
    PROJECT_DIR,
    apply_stage_environment,
    chalice_config,
    load_app,
)
from devstack.processes import HOST, ChildProcess, url, wait_for_port
from devstack.provision import create_buckets, create_resources, default_table_names
from devstack.stack import DEFAULT_JWT_SECRET, Workers, start_server

DEV_TEST_CLIENT = "dev-integration-test"
DEV_LIVE_CLIENT = "dev-integration-live"


class QuietHandler(ChaliceRequestHandler):
    """Chalice's request handler without a log line per request (the bench makes thousands)."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        return


def _forget_clients() -> None:
    # Clients (boto3's, PynamoDB's, the queue URL) are cached per process: a new backend needs new ones.
    aws.forget_clients()
    dynamo.forget_models()
    queue._url_for.cache_clear()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind((HOST, 0))
        port: int = held.getsockname()[1]
        return port


def rows_stream() -> TextIO:
    """Stdout for the rows alone: fd 1 is pointed at stderr, so whatever else prints (Powertools'
    logger, a library, a child process) lands with the progress lines."""
    sys.stdout.flush()
    rows = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    return rows


def run_alone(row: Callable[[BenchStack], dict[str, Any]], workers: int = 2) -> int:
    """`python -m bench.<row>`: one row on a DynamoDB Local stack of its own, its JSON line alone on stdout."""
    rows = rows_stream()
    stack = BenchStack("dynamodb-local", workers=workers).start()
    try:
        found = row(stack)
    finally:
        stack.stop()
    rows.write(json.dumps(found) + "\n")
    return 0


def progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class BenchStack:
    """One backend's stack: `backend` is "dynamodb-local" (DynamoDB Local) or "moto" (moto's DynamoDB)."""

    backend: str
    workers: int = 2
    children: list[ChildProcess] = field(default_factory=list)
    port: int = 0
    work: Workers | None = None  # the pollers and the schedule runner
    _server: LocalDevServer | None = None

    def start(self) -> BenchStack:
        aws_port, dynamodb_port, self.port = free_port(), free_port(), free_port()
        own_dynamodb = dynamodb_port if self.backend == "dynamodb-local" else None  # else moto serves DynamoDB
        for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
            del os.environ[name]
        os.environ.update(aws_environment(aws_port, own_dynamodb))
        if self.backend == "moto":  # moto server's transactions are not thread-safe: one call at a time per worker
            os.environ["DELETE_CONCURRENCY"] = "1"
        os.environ.update({"WEBHOOK_ALLOW_LOOPBACK": "1",
                           "JWT_SECRET": os.environ.get("JWT_SECRET") or DEFAULT_JWT_SECRET})
        calls.install()
        _forget_clients()
        self.children.extend(start_emulators(aws_port, own_dynamodb, os.environ))
        apply_stage_environment(PROJECT_DIR, "dev")  # the stage's variables win, as on Lambda
        create_resources(boto3.client("dynamodb"), boto3.client("sqs"), default_table_names())
        create_buckets(boto3.client("s3"))
        seed_dev_applications()
        app = load_app(PROJECT_DIR)
        self._server = LocalDevServer(app, chalice_config(PROJECT_DIR, "dev"), HOST, self.port,
                                      handler_cls=QuietHandler)
        # The server's own serve_forever prints to stdout, which carries only result rows.
        threading.Thread(target=self._server.server.serve_forever, name="api", daemon=True).start()
        wait_for_port(self.port, 30)
        self.work = Workers(app, PROJECT_DIR, "dev", self.workers)
        return self

    def resize(self, workers: int) -> None:
        """Run `workers` pollers from now on (each stopped poller finishes the batch it holds first)."""
        self.workers = workers
        if self.work is not None:
            self.work.resize(workers)

    def child_pid(self, name: str) -> int:
        """The pid of the emulator child started as `name` ("DynamoDB Local")."""
        return next(child.process.pid for child in self.children if child.name == name)

    def stop(self) -> None:
        if self.work is not None:
            self.work.stop()
        if self._server is not None:
            self._server.server.shutdown()
            self._server.server.server_close()
        for child in reversed(self.children):
            child.stop()
        self.children = []
        _forget_clients()

    @property
    def api_url(self) -> str:
        return url(self.port)

    def server_process(self) -> tuple[ChildProcess, str]:
        """A `chalice local` child on the same emulators (as the stack runs it), the rate limit off (its
        clients load it on purpose); its base URL."""
        port = free_port()
        child = start_server(PROJECT_DIR, port, "dev", {**os.environ, "RATE_LIMIT_REQUESTS": "0"},
                             output=open(os.devnull, "wb"))  # noqa: SIM115 - the child owns it
        wait_for_port(port, 60, child.process)
        return child, url(port)


def tenant_of(client_id: str) -> Tenant:
    return Tenant(DEV_ORGANIZATION["id"], "live" if client_id == DEV_LIVE_CLIENT else "test")


class Api:
    """A minimal JSON:API client with one pooled session."""

    def __init__(self, base_url: str, client_id: str = DEV_TEST_CLIENT) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        response = self.session.post(f"{base_url}/oauth/token", timeout=30, json={
            "grant_type": "client_credentials", "client_id": client_id, "client_secret": DEV_SECRET})
        response.raise_for_status()
        self.session.headers.update({"Authorization": f"Bearer {response.json()['access_token']}",
                                     "Accept": "application/vnd.api+json",
                                     "Content-Type": "application/vnd.api+json"})

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> requests.Response:
        return self.session.request(method, f"{self.base_url}{path}", json=body, timeout=120)

    def create_cleanup(self, resource_type: str, filters: dict[str, Any]) -> dict[str, Any]:
        response = self.call("POST", "/api/cleanups", {"data": {"type": "cleanups", "attributes": {
            "resource_type": resource_type, "filters": filters}}})
        if response.status_code != 201:
            raise RuntimeError(f"POST /api/cleanups: {response.status_code} {response.text[:500]}")
        data: dict[str, Any] = response.json()["data"]
        return data

    def cleanup(self, cleanup_id: str) -> dict[str, Any]:
        response = self.call("GET", f"/api/cleanups/{cleanup_id}")
        response.raise_for_status()
        attributes: dict[str, Any] = response.json()["data"]["attributes"]
        return attributes

    def interrupt(self, cleanup_id: str) -> requests.Response:
        return self.call("PATCH", f"/api/cleanups/{cleanup_id}", {"data": {
            "type": "cleanups", "id": cleanup_id, "attributes": {"_interrupt": True}}})
