"""Follow a cleanup until it ends: a live bar refreshed in place on a terminal, one plain line per change otherwise."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

from cleanups_cli import resources
from cleanups_cli.client import ApiClient
from cleanups_cli.progress import ACTIVE, Pace, PaceMeter, format_duration, format_rate, parse_time

Clock = Callable[[], float]


def watch(client: ApiClient, cleanup_id: str, console: Console, interval: float = 1.0,
          clock: Clock = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> dict[str, Any]:
    """Poll the cleanup every `interval` seconds until it is no longer pending or in progress; its last attributes."""
    meter = PaceMeter()
    snapshots = _snapshots(client, cleanup_id, interval, sleep)
    if console.is_terminal:
        attributes = _watch_live(snapshots, meter, console, clock)
    else:
        attributes = _watch_plain(snapshots, meter, console, clock)
    console.print(summary_line(cleanup_id, attributes))
    return attributes


def _snapshots(client: ApiClient, cleanup_id: str, interval: float,
               sleep: Callable[[float], None]) -> Iterator[dict[str, Any]]:
    while True:
        attributes = resources.get(client, cleanup_id)["attributes"]
        yield attributes
        if attributes["status"] not in ACTIVE:
            return
        sleep(interval)


def _watch_live(snapshots: Iterator[dict[str, Any]], meter: PaceMeter, console: Console,
                clock: Clock) -> dict[str, Any]:
    columns = (TextColumn("{task.description:<11}"), BarColumn(bar_width=30), TextColumn("{task.fields[line]}"))
    attributes: dict[str, Any] = {}
    with Progress(*columns, console=console, auto_refresh=False, transient=False) as bar:
        task = bar.add_task("pending", total=None, line="")
        for attributes in snapshots:
            pace = meter.observe(attributes, clock(), datetime.now(UTC))
            bar.update(task, description=pace.status, total=max(pace.total, 1),
                       completed=pace.done if pace.total else 1, line=pace_line(pace))
            bar.refresh()
    return attributes


def _watch_plain(snapshots: Iterator[dict[str, Any]], meter: PaceMeter, console: Console,
                 clock: Clock) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    last = ""
    for attributes in snapshots:
        pace = meter.observe(attributes, clock(), datetime.now(UTC))
        line = f"{pace.status:<11} {pace_line(pace)}"
        if line != last:  # piped output grows only when something changed
            console.print(line)
            last = line
    return attributes


def pace_line(pace: Pace) -> str:
    return (f"{pace.percent:5.1f}%  {pace.processed:,}/{pace.total:,} processed  {pace.errors:,} errors  "
            f"{format_rate(pace.rate)}  ETA {format_duration(pace.eta_seconds)}")


def summary_line(cleanup_id: str, attributes: dict[str, Any]) -> str:
    status = attributes["status"]
    started = parse_time(attributes.get("started_at")) or parse_time(attributes.get("created_at"))
    ended = parse_time(attributes.get("completed_at") or attributes.get("interrupted_at"))
    took = f" in {format_duration((ended - started).total_seconds())}" if started and ended else ""
    return (f"Cleanup {cleanup_id} {status}: {attributes.get('processed_count', 0):,} of "
            f"{attributes.get('records_count', 0):,} processed, {attributes.get('errors_count', 0):,} errors{took}")
