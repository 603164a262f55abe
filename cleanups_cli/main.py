"""The `cleanups` command: each command parses its options, calls the API through `resources`, renders."""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from typer.core import TyperGroup

from cleanups_cli import render, report, resources, schedules
from cleanups_cli.client import ApiClient, Credentials
from cleanups_cli.errors import CliError
from cleanups_cli.filters import FilterSyntaxError, parse_filters
from cleanups_cli.preview_wait import wait_for_preview
from cleanups_cli.tokens import TokenCache
from cleanups_cli.watch import watch as follow

DEFAULT_URL = "http://127.0.0.1:8000"  # the local stack of `make run`
EXIT_ERROR = 1
EXIT_INTERRUPTED = 3  # a watched cleanup ended `interrupted` (2 is a usage error)


class ReportingGroup(TyperGroup):
    """The one place an error becomes output: a line per error on stderr and exit 1, never a traceback."""

    def invoke(self, ctx: Any) -> Any:  # typer vendors click: its Context type is private
        try:
            return super().invoke(ctx)
        except CliError as exc:
            for line in exc.lines():
                typer.echo(f"error: {line}", err=True)
            raise typer.Exit(EXIT_ERROR) from None


@dataclass
class Session:
    """What the commands share; tests pass one as `obj` with a mock transport and a temporary token cache."""

    transport: httpx.BaseTransport | None = None
    cache: TokenCache | None = None
    sleep: Callable[[float], None] = time.sleep
    out: Console = field(default_factory=lambda: Console(highlight=False))  # numbers in plain text, not coloured
    client: ApiClient | None = None

    @property
    def api(self) -> ApiClient:
        assert self.client is not None, "the app callback builds the client"
        return self.client


app = typer.Typer(cls=ReportingGroup, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Create, preview and follow cleanups of the cleanups API (Commerce Layer compatible).")

app.add_typer(schedules.app, name="schedules")

Where = Annotated[list[str] | None, typer.Option("--where", "-w", help="A filter key=value (repeatable), "
                                                  "e.g. -w code_start=TSHIRT -w created_at_lt=2026-01-01")]
FiltersJson = Annotated[str | None, typer.Option("--filters", help="Filters as a JSON object")]
ResourceType = Annotated[str, typer.Option("--type", "-t", help="Resource type: skus, prices, stock_items, ...")]
CleanupId = Annotated[str, typer.Argument(help="The cleanup id")]
Interval = Annotated[float, typer.Option("--interval", min=0.1, help="Seconds between two polls")]


class ErrorsFormat(StrEnum):
    csv = "csv"
    json = "json"


@app.callback()
def configure(
    ctx: typer.Context,
    url: Annotated[str, typer.Option("--url", envvar="CLEANUPS_API_URL", help="API base URL")] = DEFAULT_URL,
    client_id: Annotated[str | None, typer.Option(envvar="CLEANUPS_CLIENT_ID", help="OAuth client id")] = None,
    client_secret: Annotated[str | None, typer.Option(envvar="CLEANUPS_CLIENT_SECRET", help="OAuth client secret",
                                                      show_default=False)] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each answer", min=1)] = 30.0,
) -> None:
    if not url.startswith(("http://", "https://")):
        raise typer.BadParameter(f"{url!r} is not an http(s) URL", param_hint="--url")
    if bool(client_id) != bool(client_secret):
        raise typer.BadParameter("give both the client id and the client secret, or neither",
                                 param_hint="--client-id/--client-secret")
    session = ctx.ensure_object(Session)
    credentials = Credentials(client_id, client_secret) if client_id and client_secret else None
    session.client = ApiClient(url, credentials, session.cache or TokenCache(), transport=session.transport,
                               timeout=timeout, sleep=session.sleep)


@app.command()
def login(ctx: typer.Context) -> None:
    """Get an access token with the client credentials and keep it for this URL."""
    session: Session = ctx.obj
    token = session.api.login()
    application = session.api.request("GET", "/api/application")["data"]["attributes"]
    until = datetime.fromtimestamp(token.expires_at).astimezone().isoformat(timespec="seconds")
    session.out.print(f"Logged in to {session.api.base_url} as {application.get('name')} "
                      f"({application.get('kind')}), token valid until {until}")


@app.command()
def preview(ctx: typer.Context, resource_type: ResourceType, where: Where = None, filters: FiltersJson = None,
            interval: Interval = 1.0) -> None:
    """Show what a cleanup with these filters would delete, without creating it (waiting while it is counted)."""
    session: Session = ctx.obj
    render.preview(session.out, resources.preview(session.api, resource_type, _filters(where, filters),
                                                  _waiting(session, interval)))


@app.command()
def create(ctx: typer.Context, resource_type: ResourceType, where: Where = None, filters: FiltersJson = None,
           yes: Annotated[bool, typer.Option("--yes", "-y", help="Create without asking")] = False,
           watch: Annotated[bool, typer.Option(help="Follow it until it ends")] = True,
           interval: Interval = 1.0) -> None:
    """Preview, confirm, create a cleanup and follow it until it ends."""
    session: Session = ctx.obj
    chosen = _filters(where, filters)
    found = resources.preview(session.api, resource_type, chosen, _waiting(session, interval))
    render.preview(session.out, found)
    if not yes:
        typer.confirm(f"Delete these {found.records_count:,} {resource_type}?", abort=True)
    expected = found.records_count if found.from_preview_route else None
    cleanup = resources.create(session.api, resource_type, chosen, expected_records_count=expected)
    session.out.print(f"Cleanup {cleanup['id']} created: {cleanup['attributes']['records_count']:,} {resource_type}")
    if watch:
        _exit_with(follow(session.api, cleanup["id"], session.out, interval, sleep=session.sleep))


@app.command()
def watch(ctx: typer.Context, cleanup_id: CleanupId, interval: Interval = 1.0) -> None:
    """Follow a cleanup until it ends; exit 3 when it ends interrupted."""
    session: Session = ctx.obj
    _exit_with(follow(session.api, cleanup_id, session.out, interval, sleep=session.sleep))


@app.command("list")
def list_cleanups(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="Only this status: pending, in_progress, completed, ...")] = None,
    page: Annotated[int, typer.Option(min=1)] = 1,
    size: Annotated[int, typer.Option(min=1, max=25)] = 25,
) -> None:
    """The cleanups, newest first."""
    session: Session = ctx.obj
    render.cleanups_table(session.out, resources.page(session.api, page, size, status))


@app.command()
def show(ctx: typer.Context, cleanup_id: CleanupId,
         as_json: Annotated[bool, typer.Option("--json", help="The resource as JSON")] = False) -> None:
    """One cleanup's attributes."""
    session: Session = ctx.obj
    cleanup = resources.get(session.api, cleanup_id)
    if as_json:
        typer.echo(json.dumps(cleanup, indent=2))
    else:
        render.cleanup(session.out, cleanup)


@app.command()
def interrupt(ctx: typer.Context, cleanup_id: CleanupId) -> None:
    """Interrupt a pending or in-progress cleanup (or its restore)."""
    session: Session = ctx.obj
    cleanup = resources.update(session.api, cleanup_id, {"_interrupt": True})
    session.out.print(f"Cleanup {cleanup_id}: {cleanup['attributes']['status']}")


@app.command()
def restore(ctx: typer.Context, cleanup_id: CleanupId) -> None:
    """Put back what a completed or interrupted cleanup deleted (asynchronously); resumes an interrupted restore."""
    session: Session = ctx.obj
    cleanup = resources.update(session.api, cleanup_id, {"_restore": True})
    session.out.print(f"Cleanup {cleanup_id}: restore {cleanup['attributes'].get('restore_status')}")


@app.command()
def errors(ctx: typer.Context, cleanup_id: CleanupId,
           output_format: Annotated[ErrorsFormat, typer.Option("--format", help="csv or json")] = ErrorsFormat.csv,
           ) -> None:
    """A cleanup's errors_log: one CSV row per message (record_id,attribute,message), or its JSON object."""
    session: Session = ctx.obj
    cleanup = resources.get(session.api, cleanup_id)
    typer.echo(render.errors(cleanup, output_format.value))
    attributes = cleanup["attributes"]
    logged = len(attributes.get("errors_log") or {})
    if (attributes.get("errors_count") or 0) > logged:
        typer.echo(f"note: {attributes['errors_count']:,} errors, the log keeps {logged:,} of them", err=True)


@app.command("report")
def report_command(ctx: typer.Context, cleanup_id: CleanupId,
                   output: Annotated[Path | None, typer.Option("--output", "-o", help="Write it to FILE (kept "
                                                              "gzip'ed if FILE ends in .gz)")] = None) -> None:
    """A finished cleanup's complete report: one CSV row per selected record (id,outcome,errors,<types>...)."""
    session: Session = ctx.obj
    body = report.download(session.api, cleanup_id, session.transport)
    text = report.save(body, output)
    if output is None:
        typer.echo(text, nl=False)
    typer.echo(report.summary(text), err=True)


def _filters(where: list[str] | None, filters_json: str | None) -> dict[str, Any]:
    try:
        return parse_filters(where or [], filters_json)
    except FilterSyntaxError as exc:
        raise typer.BadParameter(str(exc)) from None


def _waiting(session: Session, interval: float) -> resources.Waiting:
    """Wait for a pending preview with a progress line, polling every `interval` seconds."""
    return lambda resource: wait_for_preview(session.api, resource, session.out, interval, session.sleep)


def _exit_with(attributes: dict[str, Any]) -> None:
    if attributes["status"] == "interrupted":
        raise typer.Exit(EXIT_INTERRUPTED)


def run() -> None:
    """The console script `cleanups`."""
    app()
