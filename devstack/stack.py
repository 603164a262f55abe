"""The local stack in one process tree: embedded AWS, tables and queues, dev applications,
`chalice local`, the SQS pollers and the schedule runner. `python -m devstack` runs it.

The API port opens only once the emulators listen and the tables, queues, buckets and dev
applications exist: no request is answered before. With `DATA_DIR` (`make run` sets `.data`)
DynamoDB Local keeps its data in `DATA_DIR/dynamodb` and the buckets are mirrored to
`DATA_DIR/s3` (`devstack.s3_mirror`); without it everything is in memory (the tests' stacks).
Children (moto, DynamoDB Local, chalice local) run in their own process groups and are
stopped (SIGTERM, then SIGKILL) on Ctrl-C or SIGTERM, so no orphan keeps a port.
"""
from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import boto3
from chalice.app import Chalice

from devstack import dynamodb_local
from devstack.dev_applications import DEV_ORGANIZATION, DEV_SECRET, seed_dev_applications
from devstack.embedded_aws import REGION, aws_environment, start_emulators
from devstack.lambda_runtime import PROJECT_DIR, apply_stage_environment, context_factory, load_app
from devstack.processes import HOST, ChildProcess, StackError, port_is_free, stop_requested, url, wait_for_port
from devstack.provision import create_buckets, create_resources, default_table_names
from devstack.s3_mirror import S3Mirror
from devstack.scheduler import Scheduler, scheduled_jobs
from devstack.sqs_consumer import polling_client, start_pollers

logger = logging.getLogger(__name__)

READY_MARKER = "cleanups local stack ready:"
DEFAULT_JWT_SECRET = "dev-jwt-secret-for-the-local-stack-only-0001"


@dataclass(frozen=True)
class StackConfig:
    project_dir: Path
    port: int
    aws_port: int
    dynamodb_port: int
    workers: int
    jwt_secret: str
    stage: str = "dev"
    data_dir: Path | None = None  # None: every emulator in memory

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> StackConfig:
        return cls(
            project_dir=Path(environ.get("CHALICE_PROJECT_DIR") or PROJECT_DIR),
            port=int(environ.get("PORT") or 8000),
            aws_port=int(environ.get("AWS_PORT") or 4566),
            dynamodb_port=int(environ.get("DYNAMODB_PORT") or 4567),
            workers=int(environ.get("WORKERS") or 2),
            jwt_secret=environ.get("JWT_SECRET") or DEFAULT_JWT_SECRET,
            data_dir=Path(environ["DATA_DIR"]).resolve() if environ.get("DATA_DIR") else None,
        )

    @property
    def ports(self) -> dict[str, int]:
        return {"PORT": self.port, "AWS_PORT": self.aws_port, "DYNAMODB_PORT": self.dynamodb_port}


def start_server(project_dir: Path, port: int, stage: str, environ: Mapping[str, str],
                 output: IO[Any] | int | None = None) -> ChildProcess:
    """The API as the stack serves it: `chalice local --no-autoreload` answering unknown routes in JSON:API
    (`devstack.devserver`), a child running in `project_dir`, which need not hold devstack (PYTHONPATH finds it)."""
    python_path = os.pathsep.join(filter(None, [environ.get("PYTHONPATH"), str(PROJECT_DIR)]))
    return ChildProcess("chalice local", [
        sys.executable, "-m", "devstack.devserver", "--project-dir", str(project_dir),
        "--host", HOST, "--port", str(port), "--stage", stage,
    ], {**environ, "PYTHONPATH": python_path}, cwd=project_dir, output=output)


class Workers:
    """The stack's work in this process: `count` SQS pollers and the schedule runner, each invocation with a
    Lambda-like context."""

    def __init__(self, app: Chalice, project_dir: Path, stage: str, count: int) -> None:
        self._app = app
        self._new_context = context_factory(project_dir, stage, app.app_name)
        self.consumers = start_pollers(app, polling_client(count), count, self._new_context)
        self.scheduler = Scheduler(scheduled_jobs(app, os.environ), region=REGION, new_context=self._new_context)
        self.scheduler.start()

    def resize(self, count: int) -> None:
        """Run `count` pollers from now on (each stopped poller finishes the batch it holds first)."""
        for consumer in self.consumers:
            consumer.stop()
        self.consumers = start_pollers(self._app, polling_client(count), count, self._new_context)

    def stop(self) -> None:
        for consumer in self.consumers:
            consumer.stop()
        self.scheduler.stop()


class LocalStack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.children: list[ChildProcess] = []
        self.workers: Workers | None = None
        self.mirror: S3Mirror | None = None
        self.client_ids: list[str] = []

    def start(self) -> None:
        self._check_prerequisites()
        self._set_environment()
        apply_stage_environment(self.config.project_dir, self.config.stage)
        self._start_emulators()
        create_resources(boto3.client("dynamodb"), boto3.client("sqs"), default_table_names())
        self._restore_buckets(create_buckets(boto3.client("s3")).values())
        self.client_ids = [application.client_id for application in seed_dev_applications()]
        # Only now does anything listen on PORT: no request is answered before the emulators and their data.
        server = self._start_server()
        config = self.config  # the workers start while the server imports its own copy of the app
        self.workers = Workers(load_app(config.project_dir), config.project_dir, config.stage, config.workers)
        wait_for_port(config.port, 60, server.process)

    def _check_prerequisites(self) -> None:
        config = self.config
        taken = [f"{name}={port}" for name, port in config.ports.items() if not port_is_free(port)]
        if taken:
            raise StackError(f"port(s) in use: {', '.join(taken)}; free them or set other ports")
        dynamodb_local.check_prerequisites()

    def _start_emulators(self) -> None:
        # Before the server in the list: `stop` goes backwards, so the server stops before its emulators.
        data_dir = self.config.data_dir
        self.children.extend(start_emulators(self.config.aws_port, self.config.dynamodb_port, os.environ,
                                             dynamodb_path=data_dir / "dynamodb" if data_dir else None))

    def _restore_buckets(self, buckets: Iterable[str]) -> None:
        if self.config.data_dir is None:
            return
        self.mirror = S3Mirror(boto3.client("s3"), buckets, self.config.data_dir / "s3")
        logger.info("restored %d S3 objects from %s", self.mirror.restore(), self.mirror.folder)
        self.mirror.start()

    def _start_server(self) -> ChildProcess:
        server = start_server(self.config.project_dir, self.config.port, self.config.stage, os.environ)
        self.children.append(server)
        return server

    def _set_environment(self) -> None:
        config = self.config
        os.environ.update(aws_environment(config.aws_port, config.dynamodb_port))
        os.environ.update({"WEBHOOK_ALLOW_LOOPBACK": "1", "JWT_SECRET": config.jwt_secret, "PYTHONUNBUFFERED": "1"})

    def dead_child(self) -> ChildProcess | None:
        return next((child for child in self.children if not child.alive()), None)

    def stop(self) -> None:
        """Finish in-flight work, then stop the children, the server first."""
        if self.workers is not None:
            self.workers.stop()
        if self.mirror is not None:
            try:
                self.mirror.stop()  # the workers are done writing: the last sync misses nothing
            except Exception:  # noqa: BLE001 - a dead moto must not keep the children running
                logger.exception("S3 mirror: the last sync failed")
        for child in reversed(self.children):
            child.stop()
        self.children = []

    def banner(self) -> str:
        config = self.config
        api = url(config.port)
        lines = [
            f"{READY_MARKER} {api}",
            f"  embedded AWS (moto)  AWS_ENDPOINT_URL={url(config.aws_port)}",
            f"  DynamoDB Local       AWS_ENDPOINT_URL_DYNAMODB={url(config.dynamodb_port)}",
            f"  data                 {config.data_dir or 'in memory, gone when the stack stops'}",
            f"  organization slug    {DEV_ORGANIZATION['slug']}",
            f"  client ids           {', '.join(self.client_ids)}",
            f"  client secret        {DEV_SECRET}",
            f"  token                curl -s -X POST {api}/oauth/token -d grant_type=client_credentials "
            f"-d client_id={(self.client_ids or ['<client id>'])[0]} -d client_secret={DEV_SECRET}",
        ]
        return "\n".join(lines)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("botocore", "pynamodb"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        stack = LocalStack(StackConfig.from_env(os.environ))
    except (StackError, ValueError) as exc:
        logger.error("%s", exc)
        return 1
    return serve(stack)


def serve(stack: LocalStack) -> int:
    """Run the stack until SIGINT/SIGTERM or until a child dies; always stop everything."""
    stopping = stop_requested()
    status = 0
    try:
        stack.start()
        print(stack.banner(), flush=True)
        while not stopping.wait(0.5):
            dead = stack.dead_child()
            if dead is not None:
                logger.error("%s exited with %s: stopping the stack", dead.name, dead.process.returncode)
                status = 1
                break
    except StackError as exc:
        logger.error("%s", exc)
        status = 1
    finally:
        stack.stop()
    return status
