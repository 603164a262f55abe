"""The embedded AWS: a moto server (SQS, and DynamoDB with `LOCAL_DYNAMODB=moto`) and dynalite.

Both run as child processes, each in its own process group so stopping them
never leaves a grandchild holding a port. The app reaches them only through
botocore's `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_DYNAMODB` variables, which
`aws_environment` returns. dynalite is the default DynamoDB because moto's
Query scans the whole table on every call, while dynalite answers like AWS.
"""
from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import IO, Any

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
REGION = "us-east-1"
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "dev", "AWS_SECRET_ACCESS_KEY": "dev"}
_PR_SET_PDEATHSIG = 1


class StackError(RuntimeError):
    """The local stack cannot start: a port is taken, a tool is missing, a child died."""


def url(port: int) -> str:
    return f"http://{HOST}:{port}"


def aws_environment(aws_port: int, dynamodb_port: int | None) -> dict[str, str]:
    """What a process needs to reach the emulators: endpoints, region, fake credentials."""
    env = {**FAKE_CREDENTIALS, "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
           "AWS_ENDPOINT_URL": url(aws_port)}
    if dynamodb_port is not None:
        env["AWS_ENDPOINT_URL_DYNAMODB"] = url(dynamodb_port)
    return env


def port_is_free(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        return probe.connect_ex((host, port)) != 0


def wait_for_port(port: int, timeout: float, process: subprocess.Popen[Any] | None = None) -> None:
    """Return once something accepts connections on the port; fail early if `process` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not port_is_free(port):
            return
        if process is not None and process.poll() is not None:
            raise StackError(f"{process.args!r} exited with {process.returncode} before listening on {port}")
        time.sleep(0.05)
    raise StackError(f"nothing listening on {HOST}:{port} after {timeout:.0f}s")


def _die_with_parent() -> None:
    # Linux only: the child gets SIGTERM if the stack is killed outright (kill -9), so no orphan keeps a port.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class ChildProcess:
    """A child in its own process group, stopped by SIGTERM to the group then SIGKILL."""

    def __init__(self, name: str, argv: Sequence[str], env: Mapping[str, str], *,
                 cwd: Path | None = None, output: IO[Any] | int | None = None) -> None:
        self.name = name
        self.process = subprocess.Popen(
            list(argv), env=dict(env), cwd=cwd, stdout=output, stderr=output,
            start_new_session=True, preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, grace_seconds: float = 5.0) -> None:
        if self.alive():
            self._signal_group(signal.SIGTERM)
            try:
                self.process.wait(grace_seconds)
            except subprocess.TimeoutExpired:
                logger.warning("%s ignored SIGTERM, killing it", self.name)
        # The group may outlive its leader (a grandchild): kill whatever is left.
        self._signal_group(signal.SIGKILL)
        self.process.wait()

    def _signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)


def start_moto(port: int, env: Mapping[str, str], timeout: float = 30.0) -> ChildProcess:
    child = ChildProcess("moto", [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)], env,
                         output=subprocess.DEVNULL)  # moto logs every request
    wait_for_port(port, timeout, child.process)
    return child


def dynalite_cli(project_dir: Path) -> Path:
    cli = project_dir / "node_modules" / "dynalite" / "cli.js"
    if not cli.exists():
        raise StackError(f"{cli} is missing: run `npm ci` in {project_dir} (or set LOCAL_DYNAMODB=moto)")
    return cli


def start_dynalite(port: int, project_dir: Path, env: Mapping[str, str], timeout: float = 30.0) -> ChildProcess:
    argv = ["node", str(dynalite_cli(project_dir)), "--port", str(port),
            "--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"]
    try:
        child = ChildProcess("dynalite", argv, env, output=subprocess.DEVNULL)
    except FileNotFoundError as exc:
        raise StackError("node is not installed: dynalite needs Node.js (or set LOCAL_DYNAMODB=moto)") from exc
    wait_for_port(port, timeout, child.process)
    return child


def stop_requested() -> threading.Event:
    """An event set by the first SIGTERM or SIGINT (Ctrl-C): the local processes' way to stop cleanly."""
    stopping = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        logger.info("received %s, stopping", signal.Signals(signum).name)
        stopping.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    return stopping
