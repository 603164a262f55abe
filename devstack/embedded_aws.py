"""The embedded AWS: a moto server (SQS, S3) and DynamoDB Local, child processes of the stack.

The app reaches them only through botocore's `AWS_ENDPOINT_URL` /
`AWS_ENDPOINT_URL_DYNAMODB` variables, which `aws_environment` returns. DynamoDB is
Amazon's own emulator (see `devstack.dynamodb_local`): it answers queries, indexes and
transactions as DynamoDB does, where moto's Query walks the whole table on every call.
"""
from __future__ import annotations

import functools
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from devstack import dynamodb_local
from devstack.processes import HOST, ChildProcess, url, wait_for_port

REGION = "us-east-1"
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "dev", "AWS_SECRET_ACCESS_KEY": "dev"}


def aws_environment(aws_port: int, dynamodb_port: int | None) -> dict[str, str]:
    """What a process needs to reach the emulators: endpoints, region, fake credentials."""
    env = {**FAKE_CREDENTIALS, "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
           "AWS_ENDPOINT_URL": url(aws_port)}
    if dynamodb_port is not None:
        env["AWS_ENDPOINT_URL_DYNAMODB"] = url(dynamodb_port)
    return env


def spawn_moto(port: int, env: Mapping[str, str]) -> ChildProcess:
    return ChildProcess("moto", [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)], env,
                        output=subprocess.DEVNULL)  # moto logs every request


def start_emulators(aws_port: int, dynamodb_port: int | None, env: Mapping[str, str],
                    timeout: float = 60.0, dynamodb_path: Path | None = None) -> list[ChildProcess]:
    """moto, and DynamoDB Local unless `dynamodb_port` is None (on disk in `dynamodb_path`, else in
    memory), started together; returned once listening."""
    ports: dict[int, Callable[[int, Mapping[str, str]], ChildProcess]] = {aws_port: spawn_moto}
    if dynamodb_port is not None:
        ports[dynamodb_port] = functools.partial(dynamodb_local.spawn, db_path=dynamodb_path)
    children: list[ChildProcess] = []
    try:
        for port, spawn in ports.items():
            children.append(spawn(port, env))
        for port, child in zip(ports, children, strict=True):
            wait_for_port(port, timeout, child.process)  # the JVM's few seconds overlap moto's start
    except BaseException:
        for child in children:
            child.stop()
        raise
    return children
