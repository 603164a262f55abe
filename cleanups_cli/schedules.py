"""`cleanups schedules ...`: cleanups created on a cron (retention policies), through `/api/cleanup_schedules`.

`create` previews what a run now would select (relative values resolved to now; a large preview waited
for while the worker counts it) and the next five run times, and asks before creating unless `--yes`.
The commands share the root's session (`ctx.obj`); errors leave as `CliError`, printed by the root
group like every other command's.
Why the preview and the run times are computed here: docs/DESIGN.md#schedules-from-the-command-line-and-the-dashboard
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Protocol
from urllib.parse import quote

import typer
from rich.console import Console
from rich.table import Column, Table

from cleanups_cli import render, resources
from cleanups_cli.client import ApiClient
from cleanups_cli.filters import FilterSyntaxError, parse_filters
from cleanups_cli.preview_wait import wait_for_preview
from cleanups_cli.timing import CronError, next_runs, resolve

ROUTE = "/api/cleanup_schedules"
RUNS_SHOWN = 10
PREVIEW_POLL_SECONDS = 1.0  # while a large preview is counted by the worker
SHOWN_FIRST = ("name", "resource_type", "filters", "cron", "enabled", "next_run_at", "last_run_at",
               "last_run_outcome", "runs_count", "max_records_per_run", "max_records_per_second", "created_at")


class Shared(Protocol):
    """What a command needs of the root's `Session` (named here, not imported: main imports this module)."""

    out: Console
    sleep: Callable[[float], None]

    @property
    def api(self) -> ApiClient: ...


app = typer.Typer(no_args_is_help=True, help="Schedules: a cleanup created on a cron, e.g. every night "
                                              "for the skus created more than 30 days before (now-P30D).")

ScheduleId = Annotated[str, typer.Argument(help="The schedule id")]
Where = Annotated[list[str] | None, typer.Option("--where", "-w", help="A filter key=value (repeatable); "
                                                  "a date may be relative: -w created_at_lt=now-P30D")]
FiltersJson = Annotated[str | None, typer.Option("--filters", help="Filters as a JSON object")]


@app.command("list")
def list_schedules(ctx: typer.Context, page: Annotated[int, typer.Option(min=1)] = 1,
                   size: Annotated[int, typer.Option(min=1, max=25)] = 25) -> None:
    """The schedules, newest first, with their next and last runs."""
    session: Shared = ctx.obj
    document = session.api.request("GET", ROUTE, params={
        "sort": "-created_at", "page[number]": str(page), "page[size]": str(size)})
    _table(session.out, document)


@app.command()
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="What the schedule is for, e.g. 'old test skus'")],
    resource_type: Annotated[str, typer.Option("--type", "-t", help="Resource type: skus, prices, ...")],
    cron: Annotated[str, typer.Option(help="When it runs: five fields, UTC, e.g. '0 3 * * *' (03:00 daily)")],
    where: Where = None,
    filters: FiltersJson = None,
    max_records_per_run: Annotated[int | None, typer.Option(
        min=1, help="A run selecting more creates nothing (skipped_over_limit); default: the cleanup cap")] = None,
    max_records_per_second: Annotated[int | None, typer.Option(min=1, help="Throttle of each run")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Create without asking")] = False,
) -> None:
    """Preview what a run now would delete and the next five runs, confirm, create the schedule."""
    session: Shared = ctx.obj
    chosen = _filters(where, filters)
    now = datetime.now(UTC)
    try:
        upcoming = next_runs(cron, now)
    except CronError as exc:
        raise typer.BadParameter(str(exc), param_hint="--cron") from None
    resolved = resolve(chosen, now)
    found = resources.preview(session.api, resource_type, resolved, lambda resource: wait_for_preview(
        session.api, resource, session.out, PREVIEW_POLL_SECONDS, session.sleep))
    session.out.print(f"A run now would select (relative values resolved to {_time(now)}):")
    render.preview(session.out, found)
    if max_records_per_run is not None and found.records_count > max_records_per_run:
        session.out.print(f"[yellow]note:[/] more than --max-records-per-run {max_records_per_run:,}: "
                          "a run now would create nothing (skipped_over_limit)")
    session.out.print("Next runs (UTC): " + ", ".join(_time(moment) for moment in upcoming))
    if not yes:
        typer.confirm(f"Create schedule {name!r} ({cron}) of {resource_type}?", abort=True)
    attributes: dict[str, Any] = {"name": name, "resource_type": resource_type, "filters": chosen, "cron": cron}
    if max_records_per_run is not None:
        attributes["max_records_per_run"] = max_records_per_run
    if max_records_per_second is not None:
        attributes["max_records_per_second"] = max_records_per_second
    schedule = session.api.request("POST", ROUTE, {"data": {"type": "cleanup_schedules", "attributes": attributes}})
    data = schedule["data"]
    session.out.print(f"Schedule {data['id']} created: next run at {data['attributes'].get('next_run_at')}")


@app.command()
def show(ctx: typer.Context, schedule_id: ScheduleId,
         runs: Annotated[int, typer.Option(min=1, max=25, help="How many recent runs to list")] = RUNS_SHOWN) -> None:
    """One schedule: its attributes, next and last run, and its recent runs (the cleanups it created)."""
    session: Shared = ctx.obj
    schedule = session.api.request("GET", _path(schedule_id))["data"]
    session.out.print(render.attributes_grid(schedule, SHOWN_FIRST))
    created = session.api.request("GET", f"{_path(schedule_id)}/cleanups", params={
        "sort": "-created_at", "page[size]": str(runs)})
    if created["data"]:
        render.cleanups_table(session.out, created)
    else:
        session.out.print("No runs yet.")


@app.command()
def pause(ctx: typer.Context, schedule_id: ScheduleId) -> None:
    """Stop its runs until it is resumed."""
    _say(ctx.obj, _update(ctx.obj, schedule_id, {"enabled": False}))


@app.command()
def resume(ctx: typer.Context, schedule_id: ScheduleId) -> None:
    """Run it on its cron again, from the next due time."""
    _say(ctx.obj, _update(ctx.obj, schedule_id, {"enabled": True}))


@app.command()
def run(ctx: typer.Context, schedule_id: ScheduleId) -> None:
    """Run it once now, as its cron would (paused or not); prints the run's outcome."""
    _say(ctx.obj, _update(ctx.obj, schedule_id, {"_run": True}))


@app.command()
def delete(ctx: typer.Context, schedule_id: ScheduleId) -> None:
    """Delete the schedule (the cleanups it created stay)."""
    session: Shared = ctx.obj
    session.api.request("DELETE", _path(schedule_id))
    session.out.print(f"Schedule {schedule_id} deleted")


def _filters(where: list[str] | None, filters_json: str | None) -> dict[str, Any]:
    try:
        return parse_filters(where or [], filters_json)
    except FilterSyntaxError as exc:
        raise typer.BadParameter(str(exc)) from None


def _path(schedule_id: str) -> str:
    return f"{ROUTE}/{quote(schedule_id, safe='')}"


def _update(session: Shared, schedule_id: str, attributes: dict[str, Any]) -> dict[str, Any]:
    document = session.api.request("PATCH", _path(schedule_id), {"data": {
        "type": "cleanup_schedules", "id": schedule_id, "attributes": attributes}})
    data: dict[str, Any] = document["data"]
    return data


def _say(session: Shared, schedule: dict[str, Any]) -> None:
    a = schedule["attributes"]
    state, runs = "enabled" if a.get("enabled") else "paused", a.get("runs_count") or 0
    session.out.print(f"Schedule {schedule['id']}: {state}, next run {a.get('next_run_at') or '–'}, "
                      f"last run {a.get('last_run_at') or '–'} ({a.get('last_run_outcome') or 'none'}), "
                      f"{runs} run{'' if runs == 1 else 's'}")


def _table(console: Console, document: dict[str, Any]) -> None:
    meta = document.get("meta", {})
    table = Table(Column("id", no_wrap=True), "name", "type", Column("cron", no_wrap=True), "state",
                  Column("next run", no_wrap=True), Column("last run", no_wrap=True), "outcome",
                  Column("runs", justify="right"),
                  title=f"{meta.get('record_count', len(document['data']))} schedules", title_justify="left",
                  box=None, padding=(0, 1, 0, 0), pad_edge=False)
    for schedule in document["data"]:
        a = schedule["attributes"]
        table.add_row(schedule["id"], a.get("name"), a.get("resource_type"), a.get("cron"),
                      "enabled" if a.get("enabled") else "paused", _minutes(a.get("next_run_at")),
                      _minutes(a.get("last_run_at")), a.get("last_run_outcome") or "–", str(a.get("runs_count") or 0))
    console.print(table)


def _time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def _minutes(timestamp: Any) -> str:
    return str(timestamp or "–")[:16].replace("T", " ")
