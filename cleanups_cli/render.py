"""What the commands print: the preview, the cleanups table, one cleanup, its errors as CSV or JSON."""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.table import Column, Table

from cleanups_cli.progress import format_duration, percent
from cleanups_cli.resources import Preview

# Shown by `show`; anything else the server renders follows them, so new attributes appear without a release.
SHOWN_FIRST = ("resource_type", "status", "filters", "records_count", "processed_count", "errors_count",
               "progress_percent", "records_per_second", "estimated_completion_at", "created_at", "started_at",
               "completed_at", "interrupted_at", "restore_status", "restorable_until")
def preview(console: Console, found: Preview) -> None:
    console.print(f"[bold]{found.records_count:,}[/] {found.resource_type} match {json.dumps(found.filters)}")
    if found.associated_counts is not None:
        associated = ", ".join(f"{count:,} {name}" for name, count in sorted(found.associated_counts.items()) if count)
        console.print(f"associated records deleted with them: {associated or 'none'}")
    if found.items_count is not None:
        console.print(f"items deleted in all: {found.items_count:,}")
    if found.estimated_seconds is not None:
        console.print(f"estimated time: {format_duration(found.estimated_seconds)}")
    if found.sample:
        table = Table("id", "code", "name", title=f"first {len(found.sample)}", title_justify="left")
        for record in found.sample:
            table.add_row(str(record.get("id")), str(record.get("code") or ""), str(record.get("name") or ""))
        console.print(table)
    for note in found.notes:
        console.print(f"[yellow]note:[/] {note}")


def cleanups_table(console: Console, document: dict[str, Any]) -> None:
    meta = document.get("meta", {})
    numbers = (Column(name, justify="right") for name in ("records", "processed", "errors", "done"))
    # Columns are made per table: a rich Column keeps the cells of the table it was added to.
    table = Table(Column("id", no_wrap=True), "type", Column("status", no_wrap=True), *numbers,
                  Column("created at", no_wrap=True),
                  title=f"{meta.get('record_count', len(document['data']))} cleanups", title_justify="left",
                  box=None, padding=(0, 1, 0, 0), pad_edge=False)
    for cleanup in document["data"]:
        attributes = cleanup["attributes"]
        table.add_row(cleanup["id"], attributes.get("resource_type"), attributes.get("status"),
                      _count(attributes.get("records_count")), _count(attributes.get("processed_count")),
                      _count(attributes.get("errors_count")), f"{percent(attributes):.1f}%",
                      _minutes(attributes.get("created_at")))
    console.print(table)


def cleanup(console: Console, resource: dict[str, Any]) -> None:
    attributes = resource["attributes"]
    table = attributes_grid(resource, SHOWN_FIRST, hidden=lambda name: name.endswith("errors_log"))
    logged = len(attributes.get("errors_log") or {})
    if logged:
        table.add_row("errors_log", f"{logged} records (cleanups errors {resource['id']})")
    console.print(table)


def attributes_grid(resource: dict[str, Any], first: tuple[str, ...],
                    hidden: Callable[[str], bool] = lambda name: False) -> Table:
    """`id`, the attributes named `first`, then any other the server renders (new ones appear without a release)."""
    attributes = resource["attributes"]
    table = Table.grid(padding=(0, 2))
    table.add_row("id", resource["id"])
    names = [name for name in first if name in attributes]
    names += sorted(name for name in attributes if name not in first and not hidden(name))
    for name in names:
        table.add_row(name, _value(attributes[name]))
    return table


def errors(resource: dict[str, Any], output_format: str) -> str:
    """`errors_log` as CSV rows `record_id,attribute,message` or as its JSON object."""
    log: dict[str, dict[str, list[str]]] = resource["attributes"].get("errors_log") or {}
    if output_format == "json":
        return json.dumps(log, indent=2, sort_keys=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("record_id", "attribute", "message"))
    for record_id, messages in sorted(log.items()):
        for attribute, texts in messages.items():
            for text in texts:
                writer.writerow((record_id, attribute, text))
    return buffer.getvalue().rstrip("\n")


def _value(value: Any) -> str:
    return "–" if value is None else json.dumps(value) if isinstance(value, dict | list) else str(value)


def _count(value: Any) -> str:
    return "–" if value is None else f"{value:,}"


def _minutes(timestamp: Any) -> str:
    """`2026-01-01T12:00:00.000Z` as `2026-01-01 12:00`: a table row needs no more."""
    return str(timestamp or "")[:16].replace("T", " ")
