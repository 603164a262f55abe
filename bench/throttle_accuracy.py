"""Row `throttle_accuracy`: a throttled cleanup's measured rate per 10-second window, and its interrupt.

Bare skus (no associated records, so the stack's own speed is not what limits the rate) are cleaned
up at `max_records_per_second: 200`; after WINDOWS windows the cleanup is PATCHed to 500; after as
many more it is interrupted. `plan()` sizes the set (at most MAX_CLEANUP_RECORDS) and the windows (one
a limit, shorter than WINDOW_SECONDS, when two could not fit in one cleanup) so the cleanup is still
running when it is interrupted; a window the cleanup finished in, or a PATCH refused because it had
finished (422), is reported as such (`finished_in_window`, `finished_before_interrupt`) and the row is
still written. A changed rate paces the next sub-batch, so
the windows at the new rate start once the slots taken at the old one are over (`ramp_seconds`: one
sub-batch per worker at the old rate). The cleanup's counted records
(`processed_count + errors_count`) are polled every POLL_SECONDS; each window's rate is its growth
over the window, and its deviation is from the limit in force (goal within ±10 %; a window below
the limit by more says the stack could not go faster, reported as `capacity_bound` when the
unthrottled rate measured first is the lower one). After the interrupt's 200, the records counted
later (`processed_count` settled minus the 200's) are compared with one sub-batch per worker
(goal <=); the skus left are checked against the counts.

The two limits are BENCH_THROTTLE_RATES ("200,500"), unless the stack cannot go that fast: when
the unthrottled rate is under the second limit plus 10 %, both are scaled down in proportion until
the second is REACHABLE_SHARE of it (a window cannot show a limit the stack cannot reach), and the
row says so (`requested_rates`, `rates_scaled_to_capacity`). `python -m bench.throttle_accuracy`
runs this row alone on DynamoDB Local.
"""
from __future__ import annotations

import os
import time
from typing import Any

from bench.data import count_code_prefix
from bench.stack import DEV_LIVE_CLIENT, Api, progress, run_alone, tenant_of
from chalicelib.cleanups.domain import pacing
from chalicelib.cleanups.domain.model import TERMINAL
from chalicelib.config import get_settings
from chalicelib.tenancy import Tenant
from tools.seed import seed

WINDOW_SECONDS, WINDOWS = 10.0, 2  # per limit
MIN_WINDOW_SECONDS = 5.0  # counts move a sub-batch (a second's worth) at a time: shorter says little
MARGIN, SPARE_RECORDS = 1.5, 500  # the set outlasts the windows by half, and a ramp's worth
POLL_SECONDS = 0.2
SETTLE_SECONDS = 5.0
REACHABLE_SHARE = 0.8  # of the unthrottled rate: the highest limit a window is measured at


def rates() -> tuple[int, int]:
    first, second = (int(r) for r in (os.environ.get("BENCH_THROTTLE_RATES") or "200,500").split(","))
    return first, second


def reachable(requested: tuple[int, int], capacity: float) -> tuple[int, int]:
    """The requested limits, or both scaled down so the second is REACHABLE_SHARE of `capacity`."""
    first, second = requested
    if capacity >= 1.1 * second:
        return first, second
    scale = REACHABLE_SHARE * capacity / second
    return max(1, int(first * scale)), max(2, int(second * scale))


def plan(first: int, second: int, cap: int) -> tuple[int, int, float]:
    """(skus, windows per limit, window seconds): the windows at `first` then `second` with MARGIN to spare, in
    at most `cap` skus (one cleanup's limit): WINDOWS of WINDOW_SECONDS if they fit, else one window a limit, as
    long as fits (not under MIN_WINDOW_SECONDS: the cleanup may then finish in the last window)."""
    per_second = MARGIN * (first + second)
    windows, seconds = WINDOWS, WINDOW_SECONDS
    if per_second * windows * seconds + SPARE_RECORDS > cap:
        windows = 1
        seconds = min(WINDOW_SECONDS, max(MIN_WINDOW_SECONDS, (cap - SPARE_RECORDS) / per_second))
    return min(cap, int(per_second * windows * seconds) + SPARE_RECORDS), windows, round(seconds, 2)


def _finished(api: Api, cleanup_id: str) -> bool:
    return api.cleanup(cleanup_id)["status"] in TERMINAL


def _counted(api: Api, cleanup_id: str) -> tuple[dict[str, Any], int]:
    attributes = api.cleanup(cleanup_id)
    return attributes, attributes["processed_count"] + attributes["errors_count"]


def _patch(api: Api, cleanup_id: str, attributes: dict[str, Any]) -> dict[str, Any] | None:
    """The cleanup's attributes after the PATCH; None if it was refused because the cleanup had finished."""
    response = api.call("PATCH", f"/api/cleanups/{cleanup_id}", {"data": {
        "type": "cleanups", "id": cleanup_id, "attributes": attributes}})
    if response.status_code == 422 and _finished(api, cleanup_id):
        return None
    if response.status_code != 200:
        raise RuntimeError(f"PATCH {attributes}: {response.status_code} {response.text[:300]}")
    result: dict[str, Any] = response.json()["data"]["attributes"]
    return result


def _create(api: Api, prefix: str, rate: int | None) -> str:
    response = api.call("POST", "/api/cleanups", {"data": {"type": "cleanups", "attributes": {
        "resource_type": "skus", "filters": {"code_start": prefix}, "max_records_per_second": rate}}})
    if response.status_code != 201:
        raise RuntimeError(f"POST /api/cleanups: {response.status_code} {response.text[:300]}")
    return str(response.json()["data"]["id"])


def _window(api: Api, cleanup_id: str, limit: int, seconds: float) -> dict[str, Any]:
    """One window's measured rate, from the counts polled at its start and its end; `finished_in_window` if the
    cleanup ran out of records meanwhile (its rate then says nothing of the limit)."""
    _, start = _counted(api, cleanup_id)
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        time.sleep(POLL_SECONDS)
    attributes, end = _counted(api, cleanup_id)
    rate = (end - start) / (time.monotonic() - began)
    return {"limit": limit, "records": end - start, "rate": round(rate, 1),
            "deviation_pct": round(100 * (rate / limit - 1), 1),
            "finished_in_window": attributes["status"] in TERMINAL}


def _capacity(api: Api, tenant: Tenant) -> float:
    """The stack's unthrottled rate on 2,000 bare skus, for reading the windows."""
    tag = seed(tenant, skus=2_000, associated=False).tag
    cleanup_id = _create(api, f"SEED-{tag}-", None)
    began = time.monotonic()
    while (attributes := api.cleanup(cleanup_id))["status"] not in ("completed", "interrupted"):
        time.sleep(POLL_SECONDS)
    return round(attributes["records_count"] / (time.monotonic() - began), 1)


def _settled(api: Api, cleanup_id: str) -> int:
    """processed_count once it has not moved for SETTLE_SECONDS (a sub-batch in flight is counted last)."""
    seen, still = api.cleanup(cleanup_id)["processed_count"], time.monotonic()
    while time.monotonic() - still < SETTLE_SECONDS:
        time.sleep(POLL_SECONDS)
        now = api.cleanup(cleanup_id)["processed_count"]
        if now != seen:
            seen, still = now, time.monotonic()
    return int(seen)


def run(api: Api, tenant: Tenant, workers: int, backend: str, note: str = "") -> dict[str, Any]:
    capacity = _capacity(api, tenant)
    first_rate, second_rate = reachable(rates(), capacity)
    records, per_limit, window_seconds = plan(first_rate, second_rate, get_settings().max_cleanup_records)
    tag = seed(tenant, skus=records, associated=False).tag
    prefix = f"SEED-{tag}-"
    progress(f"throttle_accuracy[{backend}]: {records} bare skus at {first_rate}/s then {second_rate}/s "
             f"(unthrottled: {capacity}/s)")
    cleanup_id = _create(api, prefix, first_rate)
    while _counted(api, cleanup_id)[1] == 0:  # windows start with the first count, not the queue's latency
        time.sleep(0.05)
    windows = [_window(api, cleanup_id, first_rate, window_seconds) for _ in range(per_limit)]
    ramp = workers * pacing.sub_batch_size(get_settings().sub_batch_size, first_rate) / first_rate
    if _patch(api, cleanup_id, {"max_records_per_second": second_rate}) is not None:
        time.sleep(ramp)
        windows += [_window(api, cleanup_id, second_rate, window_seconds) for _ in range(per_limit)]
    at_200 = _patch(api, cleanup_id, {"_interrupt": True})
    final = _settled(api, cleanup_id)
    left = count_code_prefix(tenant, prefix)
    for window in windows:
        window["capacity_bound"] = window["deviation_pct"] < -10 and capacity < window["limit"] * 1.1
    measured = [w for w in windows if not w["capacity_bound"] and not w["finished_in_window"]]
    return {
        "row": "throttle_accuracy", "backend": backend, "workers": workers, "unthrottled_rate": capacity,
        "requested_rates": list(rates()), "rates": [first_rate, second_rate], "ramp_seconds": round(ramp, 2),
        "rates_scaled_to_capacity": (first_rate, second_rate) != rates(),
        "skus": records, "window_seconds": window_seconds, "windows": windows,
        "max_abs_deviation_pct": max(abs(w["deviation_pct"]) for w in measured) if measured else None,
        "goal_deviation_pct": 10,
        "finished_before_interrupt": at_200 is None,
        "status_after_interrupt": api.cleanup(cleanup_id)["status"],
        "processed_after_interrupt": None if at_200 is None else final - at_200["processed_count"],
        # A throttled cleanup's sub-batch holds at most a second's worth at its rate when created.
        "bound_one_sub_batch_per_worker": pacing.sub_batch_size(get_settings().sub_batch_size, first_rate) * workers,
        "counts_exact": records - left == final,
        **({"note": note} if note else {}),
    }


def main() -> int:
    return run_alone(lambda stack: run(Api(stack.api_url, DEV_LIVE_CLIENT), tenant_of(DEV_LIVE_CLIENT), 2,
                                       "dynamodb-local"), workers=2)


if __name__ == "__main__":
    raise SystemExit(main())
