"""Row `in_list_latency`: a 10,000-value `code_in` against the same `id_in`, over HTTP, in the same run.

Skus are seeded alone (sku and guard items), in sets of BENCH_IN_LIST_MATCHED (1,000): each request
names one set's skus among 10,000 values, the rest naming nothing. Timed requests, ROUNDS of each
kind alternating which goes first (medians): `POST /api/cleanup_previews` (one set, after an
untimed round; to its counts, a `pending` one read again until `completed`), `POST /api/cleanups`
(the create's selection, a fresh set each; each cleanup is
waited for before the next request, so its deletes do not load it), and AT_ONCE creates of each
kind at once (the mean of their seconds). Figures: seconds per kind; `ratio` (the create's
`code_in` over `id_in`, goal <= 1.5), `preview_ratio`, `concurrent_ratio`. Every request must
select exactly its set. The list route takes the same plan (chalicelib/records/matching.py), but
10,000 values do not fit in a URL (API Gateway takes 10 KB of request line and headers).

`python -m bench.in_list_latency` runs this row alone on its own DynamoDB Local stack.
"""
from __future__ import annotations

import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.cleanup_throughput import wait_terminal
from bench.stack import DEV_TEST_CLIENT, Api, progress, run_alone, tenant_of
from chalicelib.filters import Condition
from chalicelib.records import RecordsStore, select_ids
from chalicelib.tenancy import new_id
from tools.seed import seed

GOAL = 1.5
VALUES = 10_000
AT_ONCE = 3
ROUNDS = 5
KINDS = ("code_in", "id_in")
CODE_CHARS = 19  # an ordinary sku code's length


def _named_set(matched: int) -> dict[str, list[str]]:
    """A fresh set of `matched` skus as the values of each kind: its own, padded to VALUES with names of nothing
    (ordinary codes of 19 characters: a cleanup keeps such filters apart, docs/DESIGN.md#item-budget)."""
    tenant = tenant_of(DEV_TEST_CLIENT)
    seeded = seed(tenant, skus=matched, associated=False, workers=2)
    ids = select_ids(tenant, "skus", [Condition("reference_eq", ("reference",), "eq", f"seed-{seeded.tag}")],
                     store=RecordsStore())
    if len(ids) != matched:
        raise RuntimeError(f"seeded {matched} skus, found {len(ids)}")
    codes = [f"SEED-{seeded.tag}-{n:07d}" for n in range(matched)]
    padding = VALUES - matched
    return {"code_in": codes + [f"NONE-{n:06d}-{seeded.tag}".ljust(CODE_CHARS, "0")[:CODE_CHARS]
                                for n in range(padding)],
            "id_in": ids + [new_id() for _ in range(padding)], "ids": ids}


def _timed_post(api: Api, path: str, resource: str, filters: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    started = time.monotonic()
    response = api.call("POST", path, {"data": {"type": resource, "attributes": {
        "resource_type": "skus", "filters": filters}}})
    seconds = time.monotonic() - started
    if response.status_code != 201:
        raise RuntimeError(f"POST {path}: {response.status_code} {response.text[:500]}")
    attributes: dict[str, Any] = response.json()["data"]["attributes"]
    return seconds, {**attributes, "id": response.json()["data"]["id"]}


def _preview(api: Api, filters: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """A preview's seconds from its POST to its counts: a `pending` one is read again until `completed`."""
    started = time.monotonic()
    _, preview = _timed_post(api, "/api/cleanup_previews", "cleanup_previews", filters)
    while preview["status"] == "pending":
        if time.monotonic() - started > 600:
            raise RuntimeError(f"preview {preview['id']} still pending after 600 s")
        time.sleep(0.1)
        response = api.call("GET", f"/api/cleanup_previews/{preview['id']}")
        response.raise_for_status()
        preview = {**response.json()["data"]["attributes"], "id": preview["id"]}
    if preview["status"] != "completed":
        raise RuntimeError(f"preview {preview['id']} {preview['status']}: {preview.get('errors')}")
    return time.monotonic() - started, preview


def _create(api: Api, named: dict[str, list[str]], kind: str) -> tuple[float, str]:
    seconds, cleanup = _timed_post(api, "/api/cleanups", "cleanups", {kind: named[kind]})
    if cleanup["records_count"] != len(named["ids"]):
        raise RuntimeError(f"{kind} cleanup selected {cleanup['records_count']}, not {len(named['ids'])}")
    return seconds, cleanup["id"]


def _orders(rounds: int) -> list[tuple[str, ...]]:
    """Rounds alternating which kind goes first: the emulator warms up as a run goes on."""
    return [KINDS if n % 2 == 0 else KINDS[::-1] for n in range(rounds)]


def run(api: Api, matched: int, backend: str, note: str = "") -> dict[str, Any]:
    progress(f"[{backend}] in_list_latency: {VALUES}-value lists naming {matched} skus each, {ROUNDS} rounds")
    previewed = _named_set(matched)
    timings: dict[str, list[float]] = {}
    for order in [KINDS, *_orders(ROUNDS)]:  # the first round warms up, untimed
        for kind in order:
            seconds, preview = _preview(api, {kind: previewed[kind]})
            if preview["records_count"] != matched:
                raise RuntimeError(f"{kind} preview counted {preview['records_count']}, not {matched}")
            timings.setdefault(f"preview_{kind}", []).append(seconds)
    for order in _orders(ROUNDS):
        for kind in order:
            seconds, cleanup_id = _create(api, _named_set(matched), kind)
            wait_terminal(api, cleanup_id, 600)  # its deletes would load the next request
            timings.setdefault(f"create_{kind}", []).append(seconds)
    for kind in KINDS:
        sets = [_named_set(matched) for _ in range(AT_ONCE)]
        with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
            created = list(pool.map(lambda named, k=kind: _create(Api(api.base_url, DEV_TEST_CLIENT), named, k), sets))
        for _, cleanup_id in created:
            wait_terminal(api, cleanup_id, 600)
        timings[f"concurrent_{kind}"] = [sum(s for s, _ in created) / AT_ONCE]
    row: dict[str, Any] = {"name": "in_list_latency", "values": VALUES, "matched": matched}
    for figure, measured in timings.items():
        timed = measured[1:] if figure.startswith("preview") else measured
        row[f"{figure}_seconds"] = round(statistics.median(timed), 3)
    for figure, stem in (("ratio", "create"), ("preview_ratio", "preview"), ("concurrent_ratio", "concurrent")):
        row[figure] = round(row[f"{stem}_code_in_seconds"] / row[f"{stem}_id_in_seconds"], 2)
    row.update({"goal": GOAL, "rounds": ROUNDS, "at_once": AT_ONCE, "backend": backend})
    progress(f"  seconds: { {figure: [round(s, 2) for s in measured] for figure, measured in timings.items()} }")
    if note:
        row["note"] = note
    return row


def main() -> int:
    matched = int(os.environ.get("BENCH_IN_LIST_MATCHED") or 1_000)
    return run_alone(lambda stack: run(Api(stack.api_url, DEV_TEST_CLIENT), matched, "dynamodb-local"))


if __name__ == "__main__":
    raise SystemExit(main())
