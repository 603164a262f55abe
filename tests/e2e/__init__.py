"""End-to-end support: run the whole local stack (`python -m devstack`) on free ports.

`start_stack()` returns a `RunningStack` once the stack has printed its ready line;
`RunningStack.stop()` sends SIGTERM and checks that the stack exits and frees its ports.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import requests

from devstack.dev_applications import DEV_SECRET
from devstack.embedded_aws import aws_environment
from devstack.processes import port_is_free, url
from devstack.stack import READY_MARKER

ROOT = Path(__file__).resolve().parents[2]
DEV_CLIENT_ID = "dev-integration-test"


def free_ports(count: int) -> list[int]:
    """Ports the kernel reports free, distinct because they are held together while chosen."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for held in sockets:
            held.bind(("127.0.0.1", 0))
        return [held.getsockname()[1] for held in sockets]
    finally:
        for held in sockets:
            held.close()


@dataclass
class RunningStack:
    process: subprocess.Popen[bytes]
    ports: dict[str, int]
    log_path: Path

    @property
    def api_url(self) -> str:
        return url(self.ports["PORT"])

    @property
    def aws_endpoint(self) -> str:
        return url(self.ports["AWS_PORT"])

    @property
    def dynamodb_endpoint(self) -> str:
        return url(self.ports["DYNAMODB_PORT"])

    @property
    def env(self) -> dict[str, str]:
        """What a boto3 client needs to reach the stack's emulators (endpoints, region, fake credentials)."""
        return aws_environment(self.ports["AWS_PORT"], self.ports["DYNAMODB_PORT"])

    def client(self, service: str) -> Any:
        """A boto3 client on the stack's emulator for `service`."""
        endpoint = self.dynamodb_endpoint if service == "dynamodb" else self.aws_endpoint
        env = self.env
        return boto3.session.Session().client(
            service, endpoint_url=endpoint, region_name=env["AWS_DEFAULT_REGION"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )

    def token(self, client_id: str = DEV_CLIENT_ID, client_secret: str = DEV_SECRET) -> str:
        """An access token from the stack's own `POST /oauth/token`."""
        response = requests.post(f"{self.api_url}/oauth/token", timeout=10, json={
            "grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret,
        })
        response.raise_for_status()
        access_token: str = response.json()["access_token"]
        return access_token

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM the stack, wait for it, and check that none of its ports is still held."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            raise AssertionError(f"the stack ignored SIGTERM for {timeout:.0f}s:\n{self.log()[-3000:]}") from None
        held = {name: port for name, port in self.ports.items() if not _freed(port)}
        assert not held, f"ports still held after the stack exited: {held}\n{self.log()[-3000:]}"
        return code


def _freed(port: int, timeout: float = 5.0) -> bool:
    # A child gets SIGKILL at the latest when the stack exits; give the kernel a moment to close its socket.
    deadline = time.monotonic() + timeout
    while not port_is_free(port):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def start_stack(extra_env: Mapping[str, str] | None = None, timeout: float = 90.0) -> RunningStack:
    """Start `python -m devstack` on free ports and return once it is ready."""
    stack = launch_stack(extra_env)
    _wait_until_ready(stack, timeout)
    return stack


def launch_stack(extra_env: Mapping[str, str] | None = None) -> RunningStack:
    """Start `python -m devstack` on free ports, in memory (no DATA_DIR unless `extra_env` sets one); return at once."""
    ports = dict(zip(("PORT", "AWS_PORT", "DYNAMODB_PORT"), free_ports(3), strict=True))
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("AWS_ENDPOINT_URL") and name != "DATA_DIR"}
    env.update({name: str(port) for name, port in ports.items()})
    env.update(extra_env or {})
    env["PYTHONUNBUFFERED"] = "1"
    with tempfile.NamedTemporaryFile(prefix="local-stack-", suffix=".log", delete=False) as log:
        log_path = Path(log.name)
    with log_path.open("wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "devstack"], cwd=ROOT, env=env,
                                   stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    return RunningStack(process, ports, log_path)


def _wait_until_ready(stack: RunningStack, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while READY_MARKER not in stack.log():
        if stack.process.poll() is not None:
            raise RuntimeError(f"the stack exited with {stack.process.returncode}:\n{stack.log()[-3000:]}")
        if time.monotonic() > deadline:
            stack.stop()
            raise RuntimeError(f"the stack was not ready after {timeout:.0f}s:\n{stack.log()[-3000:]}")
        time.sleep(0.1)
