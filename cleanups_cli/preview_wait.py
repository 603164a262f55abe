"""Wait for a pending preview: poll it until the worker has counted it, showing the records counted so far.

On a terminal a spinner line is refreshed in place; otherwise one plain line per change. A `failed`
preview raises `PreviewFailedError` (its `errors` as lines).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from rich.console import Console

from cleanups_cli.client import ApiClient
from cleanups_cli.errors import CliError

PENDING, FAILED = "pending", "failed"


class PreviewFailedError(CliError):
    """The server could not finish counting the preview."""

    def __init__(self, preview_id: str, errors: dict[str, Any]) -> None:
        super().__init__(f"preview {preview_id} failed")
        self.messages = [f"preview {preview_id} failed: {message}"
                         for entries in (errors or {}).values() for message in entries] or [str(self)]

    def lines(self) -> list[str]:
        return self.messages


def counting_line(attributes: dict[str, Any]) -> str:
    return f"counting: {int(attributes.get('counted_count') or 0):,} records counted so far"


def wait_for_preview(client: ApiClient, resource: dict[str, Any], console: Console, interval: float,
                     sleep: Callable[[float], None]) -> dict[str, Any]:
    """The preview's attributes once it is no longer pending (at once when it was counted in the request)."""
    attributes = resource["attributes"]
    if attributes.get("status") == PENDING:
        poll = _poller(client, resource["id"], interval, sleep)
        attributes = _live(attributes, poll, console) if console.is_terminal else _plain(attributes, poll, console)
    if attributes.get("status") == FAILED:
        raise PreviewFailedError(resource["id"], attributes.get("errors") or {})
    return dict(attributes)


def _poller(client: ApiClient, preview_id: str, interval: float,
            sleep: Callable[[float], None]) -> Callable[[], dict[str, Any]]:
    def poll() -> dict[str, Any]:
        sleep(interval)
        document = client.request("GET", f"/api/cleanup_previews/{quote(preview_id, safe='')}")
        return dict(document["data"]["attributes"])
    return poll


def _live(attributes: dict[str, Any], poll: Callable[[], dict[str, Any]], console: Console) -> dict[str, Any]:
    with console.status(counting_line(attributes)) as status:
        while attributes.get("status") == PENDING:
            attributes = poll()
            status.update(counting_line(attributes))
    return attributes


def _plain(attributes: dict[str, Any], poll: Callable[[], dict[str, Any]], console: Console) -> dict[str, Any]:
    last = counting_line(attributes)
    console.print(last)
    while attributes.get("status") == PENDING:
        attributes = poll()
        line = counting_line(attributes)
        if line != last and attributes.get("status") == PENDING:
            console.print(line)
            last = line
    return attributes
