"""`make bench` isolates its rows: one that fails writes an error row, the rows after it still run, the exit
status says a row failed."""
from __future__ import annotations

import io
import json
from types import SimpleNamespace
from typing import Any

import pytest

import bench.__main__ as bench_main
from bench.throttle_accuracy import MIN_WINDOW_SECONDS, WINDOW_SECONDS, WINDOWS, plan


class FakeStack:
    """What run_backend asks of a stack, without one."""

    api_url = "http://stack.invalid"

    def __init__(self, backend: str, workers: int) -> None:
        self.backend = backend

    def start(self) -> FakeStack:
        return self

    def stop(self) -> None:
        pass

    def resize(self, workers: int) -> None:
        pass

    def server_process(self) -> tuple[Any, str]:
        return SimpleNamespace(stop=lambda: None), "http://server.invalid"


def _row(name: str) -> Any:
    return lambda *_, **__: {"row": name}


@pytest.fixture
def fake_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every row of run_backend answers {"row": name} without a stack, except throttle_accuracy, which fails as it
    did when its cleanup finished before the interrupt."""
    large_set = SimpleNamespace(counts={"skus": 100}, tags=["t1"], tenant=None)
    monkeypatch.setattr(bench_main, "BenchStack", FakeStack)
    monkeypatch.setattr(bench_main, "Api", lambda *_: None)
    monkeypatch.setattr(bench_main.cleanup_throughput, "seed_runs", lambda *_: ([], None, (large_set,)))
    monkeypatch.setattr(bench_main.selection_read_amplification, "run", lambda *_: iter([{"row": "selection"}]))
    monkeypatch.setattr(bench_main.cleanup_throughput, "run", lambda *_: ([{"row": "cleanup_throughput"}], ["c1"]))
    monkeypatch.setattr(bench_main.backend_costs, "run", _row("backend_costs"))
    monkeypatch.setattr(bench_main.interrupt_latency, "run", lambda *_: ({"row": "interrupt_latency"}, None))
    monkeypatch.setattr(bench_main.preview_latency, "run", _row("preview_latency"))
    monkeypatch.setattr(bench_main.list_cleanups_cost, "run", _row("list_cleanups_cost"))
    monkeypatch.setattr(bench_main.in_list_latency, "run", _row("in_list_latency"))
    monkeypatch.setattr(bench_main, "_report_row", _row("cleanup_report"))
    monkeypatch.setattr(bench_main.cleanup_report, "install", lambda: None)

    def throttle(*_: Any) -> dict[str, Any]:
        raise RuntimeError("PATCH {'_interrupt': True}: 422")
    monkeypatch.setattr(bench_main.throttle_accuracy, "run", throttle)
    monkeypatch.setattr(bench_main.tenant_fairness, "run", lambda *_: [{"row": "tenant_fairness"}])
    monkeypatch.setattr(bench_main.api_latency, "Api", lambda *_: None)
    monkeypatch.setattr(bench_main.api_latency, "run", _row("api_latency"))


def test_a_failing_row_writes_an_error_row_and_the_rows_after_it_still_run(fake_rows: None) -> None:
    # Given a backend whose throttle_accuracy row raises
    written: list[dict[str, Any]] = []
    rows = bench_main.Rows(written.append)
    # When the backend's rows run
    bench_main.run_backend("dynamodb-local", 100, 100, 2, [1], rows)
    # Then the failing row is an error row with its reason, in its place, and the rows after it were written
    names = [row["row"] for row in written]
    assert names == ["selection", "cleanup_throughput", "backend_costs", "interrupt_latency", "cleanup_report",
                     "preview_latency", "list_cleanups_cost", "in_list_latency", "throttle_accuracy",
                     "tenant_fairness", "api_latency"]
    error = written[names.index("throttle_accuracy")]
    assert error == {"row": "throttle_accuracy", "backend": "dynamodb-local",
                     "error": "RuntimeError: PATCH {'_interrupt': True}: 422"}
    assert rows.failed == ["throttle_accuracy[dynamodb-local]"]


def test_a_row_that_needs_a_failed_rows_result_fails_alone_with_the_reason(
        fake_rows: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given cleanup_throughput failing: api_latency has no completed cleanup to read
    def fails(*_: Any) -> Any:
        raise ConnectionError("stack gone")
    monkeypatch.setattr(bench_main.cleanup_throughput, "run", fails)
    written: list[dict[str, Any]] = []
    rows = bench_main.Rows(written.append)
    # When the backend's rows run
    bench_main.run_backend("moto", 100, 100, 2, [1], rows)
    # Then both are error rows, and every other row is there
    errors = {row["row"]: row["error"] for row in written if "error" in row}
    assert errors == {"cleanup_throughput": "ConnectionError: stack gone",
                      "throttle_accuracy": "RuntimeError: PATCH {'_interrupt': True}: 422",
                      "api_latency": "RuntimeError: no completed cleanup to read: row cleanup_throughput failed"}
    assert [row["row"] for row in written if "error" not in row] == [
        "selection", "interrupt_latency", "cleanup_report", "preview_latency", "list_cleanups_cost"]


def test_the_exit_status_says_a_row_failed_and_every_backend_still_ran(
        fake_rows: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given two backends, a failing row in each, and the large cleanup row after them
    stream = io.StringIO()
    monkeypatch.setattr(bench_main, "rows_stream", lambda: stream)
    monkeypatch.setattr(bench_main.capacity, "row", lambda: {"row": "capacity"})
    monkeypatch.setattr(bench_main.large_cleanup, "row", lambda *_: {"row": "large_cleanup"})
    monkeypatch.setenv("BENCH_BACKENDS", "dynamodb-local,moto")
    monkeypatch.setenv("BENCH_LARGE_SKUS", "10")
    # When `python -m bench` runs
    status = bench_main.main()
    # Then it exits 1, having written every row, the two failures as error rows
    written = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert status == 1
    assert written[0] == {"row": "capacity"} and written[-1] == {"row": "large_cleanup"}
    assert [(row["row"], row["backend"]) for row in written if "error" in row] == [
        ("throttle_accuracy", "dynamodb-local"), ("throttle_accuracy", "moto")]


def test_the_exit_status_is_0_when_every_row_succeeds(fake_rows: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given every row succeeding
    monkeypatch.setattr(bench_main.throttle_accuracy, "run", _row("throttle_accuracy"))
    monkeypatch.setattr(bench_main, "rows_stream", io.StringIO)
    monkeypatch.setattr(bench_main.capacity, "row", lambda: {"row": "capacity"})
    monkeypatch.setenv("BENCH_BACKENDS", "moto")
    monkeypatch.setenv("BENCH_LARGE_SKUS", "0")
    # When `python -m bench` runs / Then it exits 0
    assert bench_main.main() == 0


def test_throttle_plan_keeps_two_full_windows_a_limit_when_one_cleanup_outlasts_them() -> None:
    # Given limits a cleanup of MAX_CLEANUP_RECORDS outlasts over two 10-second windows each, with half to spare
    skus, windows, seconds = plan(74, 187, cap=10_000)
    # Then the windows are the full ones and the set outlasts them by half
    assert (windows, seconds) == (WINDOWS, WINDOW_SECONDS)
    assert skus >= 1.5 * (74 + 187) * WINDOWS * WINDOW_SECONDS


def test_throttle_plan_measures_one_window_a_limit_when_two_would_outrun_the_cleanup() -> None:
    # Given a fast stack's limits (200 then 500): 4 windows of 10 s would take 14,000 skus, over the 10,000 cap
    skus, windows, seconds = plan(200, 500, cap=10_000)
    # Then one window a limit, as long as the cap allows with half to spare: the cleanup still runs at the interrupt
    assert (skus, windows) == (10_000, 1)
    assert MIN_WINDOW_SECONDS <= seconds < WINDOW_SECONDS
    assert 200 * seconds + 500 * seconds < skus / 1.5
