"""What the service logs and the EMF metrics it prints, captured for assertions (any test layer)."""
from __future__ import annotations

import io
import json
import logging
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

import pytest

from chalicelib import telemetry


@dataclass
class Captured:
    stream: io.StringIO
    capsys: pytest.CaptureFixture[str]

    def lines(self, message: str | None = None) -> list[dict[str, Any]]:
        """The structured log lines so far (of `message` only, when given)."""
        parsed = [json.loads(line) for line in self.stream.getvalue().splitlines() if line.strip()]
        return [line for line in parsed if message is None or line["message"] == message]

    def metrics(self) -> dict[str, list[float]]:
        """Flush, then every metric value in the EMF blobs printed so far, by name."""
        telemetry.flush()
        values: dict[str, list[float]] = defaultdict(list)
        for blob in emf_blobs(self.capsys.readouterr().out):
            for name, value in blob_metrics(blob).items():
                values[name] += value
        return dict(values)


def emf_blobs(output: str) -> list[dict[str, Any]]:
    """The CloudWatch embedded metric format objects among printed lines."""
    parsed = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [blob for blob in parsed if "_aws" in blob]


def blob_metrics(blob: dict[str, Any]) -> dict[str, list[float]]:
    """One EMF blob's metrics, checked to be in the service's namespace with its `service` dimension."""
    (directive,) = blob["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == telemetry.NAMESPACE and directive["Dimensions"] == [["service"]]
    assert blob["service"] == telemetry.SERVICE
    found = {}
    for metric in directive["Metrics"]:
        value = blob[metric["Name"]]
        found[metric["Name"]] = value if isinstance(value, list) else [value]
    return found


@contextmanager
def capture(capsys: pytest.CaptureFixture[str]) -> Iterator[Captured]:
    """Log lines into a buffer, metrics cleared before and after."""
    stream = io.StringIO()
    handler = cast(logging.StreamHandler, telemetry.logger.registered_handler)  # type: ignore[type-arg]
    previous = handler.setStream(stream)
    # The app's logger shares the service's name: a Chalice app loaded again in this process (the local
    # stack's loader, in an earlier test) sets it to ERROR; Lambda loads the app once, before any line.
    service_log = logging.getLogger(telemetry.SERVICE)
    level = service_log.level
    service_log.setLevel(logging.INFO)
    telemetry.metrics.clear_metrics()
    telemetry.logger.thread_safe_clear_keys()
    try:
        yield Captured(stream, capsys)
    finally:
        service_log.setLevel(level)
        if previous is not None:
            handler.setStream(previous)
        telemetry.metrics.clear_metrics()
        telemetry.logger.thread_safe_clear_keys()
