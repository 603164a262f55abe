"""Child processes of the local stack, and the ports they listen on.

Each child runs in its own process group, so stopping it (SIGTERM to the group, then
SIGKILL) never leaves a grandchild holding a port; on Linux a child is also sent SIGTERM
if the stack itself is killed outright.
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
_PR_SET_PDEATHSIG = 1


class StackError(RuntimeError):
    """The local stack cannot start: a port is taken, a tool is missing, a child died."""


def url(port: int) -> str:
    return f"http://{HOST}:{port}"


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


def stop_requested() -> threading.Event:
    """An event set by the first SIGTERM or SIGINT (Ctrl-C): the local processes' way to stop cleanly."""
    stopping = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        logger.info("received %s, stopping", signal.Signals(signum).name)
        stopping.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    return stopping
