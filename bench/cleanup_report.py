"""Row `cleanup_report`: the complete report of a cleanup with errors and of one interrupted half-way.

Per cleanup: the report, downloaded through `report_url`, has `records_count` rows and its outcomes
equal the counts (`rows_match`); `report_calls_per_1k` are the AWS calls the report adds (its parts,
its composition, in the worker that ends the cleanup or through a message: counted while a report
function runs, `_tagged`, plus a report message's DeleteMessage), against `cleanup_calls_per_1k`,
everything else from the create to the report (the bench's own polls and record changes removed);
`report_calls_ratio` is their quotient, goal <= 0.05. `seconds_to_report` runs from the terminal
moment to the first download that answers.
Errors: the last ERRORS_PER_1K per 1,000 skus (by id) are changed just after the create, so the worker
finds them modified.
"""
from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import requests
from botocore import handlers

import chalicelib.cleanups as cleanups_package
from bench import cost
from bench.cleanup_throughput import polls_usage
from bench.data import seed_sets
from bench.stack import DEV_TEST_CLIENT, Api, BenchStack, progress, run_alone, tenant_of
from chalicelib import aws
from chalicelib.cleanups.domain.report import read_csv
from chalicelib.cleanups.service_layer import report
from chalicelib.config import get_settings
from chalicelib.tenancy import Tenant, iso, parse_iso

GOAL = 0.05
ERRORS_PER_1K = 10
_local = threading.local()
_tagged: Counter[str] = Counter()  # calls made inside a report function
_excluded: Counter[str] = Counter()  # the bench's own record changes
_lock = threading.Lock()


def _count(event_name: str, **_kwargs: Any) -> None:
    _, service, operation = event_name.split(".", 2)
    into = _tagged if getattr(_local, "report", 0) else _excluded if getattr(_local, "excluded", False) else None
    if into is not None:
        with _lock:
            into[f"{service}.{operation}"] += 1


def install() -> None:
    """Count report calls in every botocore session created from now on (before the stack starts)."""
    if ("before-call", _count) not in handlers.BUILTIN_HANDLERS:
        handlers.BUILTIN_HANDLERS.append(("before-call", _count))


def _tag(function: Callable[..., Any], deletes: bool = False) -> Callable[..., Any]:
    def tagged(*args: Any, **kwargs: Any) -> Any:
        _local.report = getattr(_local, "report", 0) + 1
        try:
            return function(*args, **kwargs)
        finally:
            _local.report -= 1
            if deletes:  # the poller deletes the report message once it is handled
                with _lock:
                    _tagged["sqs.DeleteMessage"] += 1
    return tagged


@contextmanager
def report_tagged() -> Iterator[None]:
    """The report's functions, as the worker, the transitions and the message handler call them, tagged."""
    originals = (report.write_part, report.request, report.compose, cleanups_package.finish_report)
    report.write_part, report.request = _tag(report.write_part), _tag(report.request)
    report.compose = _tag(report.compose)  # the worker's own composition (the message's goes through it too)
    cleanups_package.finish_report = _tag(cleanups_package.finish_report, deletes=True)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        (report.write_part, report.request, report.compose,
         cleanups_package.finish_report) = originals  # type: ignore[attr-defined]


def _change(tenant: Tenant, ids: list[str]) -> None:
    """Touch `ids` straight in the records table (not through the API: its calls would count), uncounted."""
    _local.excluded = True
    try:
        client = aws.client("dynamodb")
        for record_id in ids:
            client.update_item(TableName=get_settings().records_table,
                               Key={"pk": {"S": f"{tenant.key}#skus"}, "sk": {"S": record_id}},
                               UpdateExpression="SET updated_at = :now",
                               ExpressionAttributeValues={":now": {"S": iso(parse_iso("2999-01-01T00:00:00Z"))}})
    finally:
        _local.excluded = False


def _last_ids(api: Api, prefix: str, count: int) -> list[str]:
    """The `count` greatest ids among the skus of `prefix` (pages of 25, the API's largest)."""
    ids: list[str] = []
    for page in range(1, -(-count // 25) + 1):
        response = api.call("GET", f"/api/skus?filter[q][code_start]={prefix}&sort=-id&page[size]=25"
                                   f"&page[number]={page}")
        response.raise_for_status()
        ids += [sku["id"] for sku in response.json()["data"]]
    return ids[:count]


def _downloaded(api: Api, cleanup_id: str, timeout: float = 120.0) -> tuple[dict[str, Any], list[dict[str, str]],
                                                                               float, int]:
    """The cleanup once terminal and its report downloaded: attributes, rows, seconds from terminal, polls."""
    deadline, polls = time.monotonic() + timeout, 0
    while True:
        attributes = api.cleanup(cleanup_id)
        polls += 1
        if attributes["report_url"]:
            response = requests.get(attributes["report_url"], timeout=60)
            if response.status_code == 200:
                ended = attributes["completed_at"] or attributes["interrupted_at"]
                return attributes, read_csv(response.content), time.time() - parse_iso(ended).timestamp(), polls
        if time.monotonic() > deadline:
            raise RuntimeError(f"no downloadable report for {cleanup_id}: {attributes}")
        time.sleep(0.1)


def measure(api: Api, tenant: Tenant, tag: str, records: int, interrupted: bool) -> dict[str, Any]:
    label = "interrupted" if interrupted else "with_errors"
    prefix = f"SEED-{tag}-"
    changed = [] if interrupted else _last_ids(api, prefix, max(1, records * ERRORS_PER_1K // 1000))
    progress(f"cleanup_report[{label}]: {records} skus, {len(changed)} changed after the create")
    before, tagged_before, excluded_before = cost.snapshot(), Counter(_tagged), Counter(_excluded)
    created = api.create_cleanup("skus", {"code_start": prefix})
    _change(tenant, changed)
    polls = 0
    if interrupted:
        while api.cleanup(created["id"])["processed_count"] < records // 2:
            polls += 1
            time.sleep(0.05)
        answer = api.interrupt(created["id"])
        if answer.status_code != 200:
            raise RuntimeError(f"PATCH _interrupt: {answer.status_code} {answer.text[:300]}")
    attributes, rows, seconds, waited = _downloaded(api, created["id"])
    time.sleep(1.0)  # the report message's delete follows its handler's return
    window = cost.since(before)
    per_poll = polls_usage(api, created["id"], 10)
    total = sum(window.calls.values()) - (polls + waited) * sum(per_poll.calls.values()) / 10
    added = sum((_tagged - tagged_before).values())
    own = sum((_excluded - excluded_before).values())
    cleanup_calls = total - added - own
    outcomes = Counter(r["outcome"] for r in rows)
    match = (len(rows) == attributes["records_count"] and outcomes["deleted"] == attributes["processed_count"]
             and outcomes["error"] == attributes["errors_count"])
    progress(f"  {label}: {attributes['status']} {dict(outcomes)}; report calls {dict(_tagged - tagged_before)}")
    scale = 1000 / attributes["records_count"]
    return {f"{label}_status": attributes["status"], f"{label}_rows": len(rows),
            f"{label}_records_count": attributes["records_count"], f"{label}_outcomes": dict(outcomes),
            f"{label}_rows_match": match, f"{label}_report_calls_per_1k": round(added * scale, 2),
            f"{label}_cleanup_calls_per_1k": round(cleanup_calls * scale, 1),
            f"{label}_report_calls_ratio": round(added / cleanup_calls, 4),
            f"{label}_seconds_to_report": round(seconds, 2)}


def run(api: Api, tenant: Tenant, tags: Sequence[str], records: int, backend: str, note: str = "") -> dict[str, Any]:
    row: dict[str, Any] = {"name": "cleanup_report", "records": records, "backend": backend,
                           "batch_size": get_settings().batch_size, "goal_report_calls_ratio": GOAL}
    with report_tagged():
        row.update(measure(api, tenant, tags[0], records, interrupted=False))
        row.update(measure(api, tenant, tags[1], records, interrupted=True))
    row["report_calls_ratio"] = max(row["with_errors_report_calls_ratio"], row["interrupted_report_calls_ratio"])
    row["rows_match"] = row["with_errors_rows_match"] and row["interrupted_rows_match"]
    if note:
        row["note"] = note
    return row


def main() -> int:
    """`python -m bench.cleanup_report`: the row alone, on two sets of BENCH_RECORDS (5,000) skus of its own."""
    records = int(os.environ.get("BENCH_RECORDS") or 5_000)
    install()

    def row(stack: BenchStack) -> dict[str, Any]:
        tenant = tenant_of(DEV_TEST_CLIENT)
        [seeded] = seed_sets([(tenant, 2 * records)], chunk=records, processes=2)
        return run(Api(stack.api_url, DEV_TEST_CLIENT), tenant, (seeded.tags[0], seeded.tags[1]), records,
                   "dynamodb-local")
    return run_alone(row)


if __name__ == "__main__":
    raise SystemExit(main())
