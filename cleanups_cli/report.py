"""`cleanups report ID [-o FILE]`: a finished cleanup's complete report, downloaded through its `report_url`.

The link is presigned: it is fetched without the API's token (which must never reach object storage).
Without `-o` the CSV is written to stdout; a FILE ending in `.gz` keeps the gzip'ed file as downloaded.
"""
from __future__ import annotations

import csv
import gzip
import io
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from cleanups_cli import resources
from cleanups_cli.client import ApiClient
from cleanups_cli.errors import CliError, NetworkError


class NoReportError(CliError):
    """The cleanup has no report to download (yet, or any more)."""


def link(cleanup: dict[str, Any]) -> str:
    """The cleanup's `report_url`, or why there is none."""
    attributes = cleanup["attributes"]
    url = attributes.get("report_url")
    if url:
        return str(url)
    if attributes["status"] in ("pending", "in_progress"):
        raise NoReportError(f"cleanup {cleanup['id']} is {attributes['status']}: its report comes once it ends")
    if not attributes.get("counts_settled", True):
        raise NoReportError(f"cleanup {cleanup['id']}: its report comes once its last counts land")
    raise NoReportError(f"cleanup {cleanup['id']} has no report: not written yet (try again in a few seconds), "
                        "or expired with its restore window")


def download(api: ApiClient, cleanup_id: str, transport: httpx.BaseTransport | None = None,
             timeout: float = 60.0) -> bytes:
    """The gzip'ed report file of cleanup `cleanup_id`."""
    url = link(resources.get(api, cleanup_id))
    try:
        with httpx.Client(transport=transport, timeout=timeout) as plain:  # no token, no base URL
            response = plain.get(url)
    except httpx.HTTPError as exc:
        raise NetworkError(f"cannot download the report: {exc or type(exc).__name__}") from None
    if response.status_code != 200:
        raise CliError(f"the report download answered HTTP {response.status_code}")
    return response.content


def save(body: bytes, output: Path | None) -> str:
    """The report's CSV text, written to `output` if given (gzip'ed as downloaded if it ends in .gz)."""
    text = gzip.decompress(body).decode()
    if output is not None and output.suffix == ".gz":
        output.write_bytes(body)
    elif output is not None:
        output.write_text(text)
    return text


def summary(text: str) -> str:
    """`12 rows: 9 deleted, 2 error, 1 not_processed`, of the report's CSV `text`."""
    outcomes = Counter(row["outcome"] for row in csv.DictReader(io.StringIO(text)))
    counts = ", ".join(f"{outcomes[name]:,} {name}" for name in ("deleted", "error", "not_processed"))
    return f"{sum(outcomes.values()):,} rows: {counts}"
