"""The local stack in one process tree: embedded AWS, tables and queues, dev applications,
`chalice local`, the SQS pollers and the schedule runner. `python -m chalicelib.local` runs it.

Children (moto, dynalite, chalice local) run in their own process groups and are
stopped (SIGTERM, then SIGKILL) on Ctrl-C or SIGTERM, so no orphan keeps a port.
"""
from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import boto3
from chalice.app import Chalice

from chalicelib.local.embedded_aws import (
    HOST,
    REGION,
    ChildProcess,
    StackError,
    aws_environment,
    dynalite_cli,
    port_is_free,
    start_dynalite,
    start_moto,
    stop_requested,
    url,
    wait_for_port,
)
from chalicelib.local.lambda_runtime import PROJECT_DIR, apply_stage_environment, context_factory, load_app
from chalicelib.local.resources import create_resources, default_table_names
from chalicelib.local.scheduler import Scheduler, scheduled_jobs
from chalicelib.local.sqs_consumer import SqsConsumer, polling_client, start_pollers

logger = logging.getLogger(__name__)

READY_MARKER = "cleanups local stack ready:"
DEV_SECRET = "dev-secret"
DEV_ORGANIZATION_SLUG = "demo"
DEFAULT_JWT_SECRET = "dev-jwt-secret-for-the-local-stack-only-0001"


@dataclass(frozen=True)
class StackConfig:
    project_dir: Path
    port: int
    aws_port: int
    dynamodb_port: int
    local_dynamodb: str  # "dynalite" (default) or "moto"
    workers: int
    jwt_secret: str
    stage: str = "dev"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> StackConfig:
        local_dynamodb = environ.get("LOCAL_DYNAMODB", "dynalite").lower()
        if local_dynamodb not in ("dynalite", "moto"):
            raise StackError(f"LOCAL_DYNAMODB must be dynalite or moto, not {local_dynamodb!r}")
        return cls(
            project_dir=Path(environ.get("CHALICE_PROJECT_DIR") or PROJECT_DIR),
            port=int(environ.get("PORT") or 8000),
            aws_port=int(environ.get("AWS_PORT") or 4566),
            dynamodb_port=int(environ.get("DYNAMODB_PORT") or 4567),
            local_dynamodb=local_dynamodb,
            workers=int(environ.get("WORKERS") or 2),
            jwt_secret=environ.get("JWT_SECRET") or DEFAULT_JWT_SECRET,
        )

    @property
    def uses_dynalite(self) -> bool:
        return self.local_dynamodb == "dynalite"

    @property
    def ports(self) -> dict[str, int]:
        ports = {"PORT": self.port, "AWS_PORT": self.aws_port}
        if self.uses_dynalite:
            ports["DYNAMODB_PORT"] = self.dynamodb_port
        return ports


def seed_dev_applications() -> list[str]:
    """Store the dev organization and applications (SPEC §2); returns their client ids."""
    from chalicelib.auth import seed_dev_applications as seed  # imported late: the app's env must be set first

    return [application.client_id for application in seed()]


class LocalStack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.children: list[ChildProcess] = []
        self.consumers: list[SqsConsumer] = []
        self.scheduler: Scheduler | None = None
        self.client_ids: list[str] = []

    def start(self) -> None:
        self._check_prerequisites()
        self._set_environment()
        self._start_emulators()
        apply_stage_environment(self.config.project_dir, self.config.stage)
        create_resources(boto3.client("dynamodb"), boto3.client("sqs"), default_table_names())
        self.client_ids = seed_dev_applications()
        server = self._start_server()
        self._start_workers(load_app(self.config.project_dir))  # while the server imports its own copy
        wait_for_port(self.config.port, 60, server.process)

    def _check_prerequisites(self) -> None:
        config = self.config
        taken = [f"{name}={port}" for name, port in config.ports.items() if not port_is_free(port)]
        if taken:
            raise StackError(f"port(s) in use: {', '.join(taken)}; free them or set other ports")
        if config.uses_dynalite:
            dynalite_cli(config.project_dir)

    def _start_emulators(self) -> None:
        self.children.append(start_moto(self.config.aws_port, os.environ))
        if self.config.uses_dynalite:
            self.children.append(start_dynalite(self.config.dynamodb_port, self.config.project_dir, os.environ))

    def _start_server(self) -> ChildProcess:
        config = self.config
        # `chalice local --no-autoreload`, answering unknown routes in JSON:API (see devserver.py).
        server = ChildProcess("chalice local", [
            sys.executable, "-m", "chalicelib.local.devserver", "--project-dir", str(config.project_dir),
            "--host", HOST, "--port", str(config.port), "--stage", config.stage,
        ], os.environ, cwd=config.project_dir)
        self.children.append(server)
        return server

    def _start_workers(self, app: Chalice) -> None:
        config = self.config
        new_context = context_factory(config.project_dir, config.stage, app.app_name)
        self.consumers = start_pollers(app, polling_client(config.workers), config.workers, new_context)
        self.scheduler = Scheduler(scheduled_jobs(app, os.environ), region=REGION, new_context=new_context)
        self.scheduler.start()

    def _set_environment(self) -> None:
        config = self.config
        dynamodb_port = config.dynamodb_port if config.uses_dynalite else None
        os.environ.update(aws_environment(config.aws_port, dynamodb_port))
        if not config.uses_dynalite:
            os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
        os.environ.update({"LOCAL_STACK": "1", "JWT_SECRET": config.jwt_secret, "PYTHONUNBUFFERED": "1"})

    def dead_child(self) -> ChildProcess | None:
        return next((child for child in self.children if not child.alive()), None)

    def stop(self) -> None:
        """Finish in-flight work, then stop the children, the server first."""
        for consumer in self.consumers:
            consumer.stop()
        if self.scheduler is not None:
            self.scheduler.stop()
        for child in reversed(self.children):
            child.stop()
        self.children = []

    def banner(self) -> str:
        config = self.config
        api = url(config.port)
        dynamodb = url(config.dynamodb_port) if config.uses_dynalite else f"{url(config.aws_port)} (moto)"
        lines = [
            f"{READY_MARKER} {api}",
            f"  embedded AWS (moto)  AWS_ENDPOINT_URL={url(config.aws_port)}",
            f"  DynamoDB             {dynamodb}",
            f"  organization slug    {DEV_ORGANIZATION_SLUG}",
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
