"""The throttle bench measures limits the stack can reach: it scales them down only when it must; a PATCH refused
because the cleanup finished first reads as finished."""
import pytest

from bench import throttle_accuracy
from bench.throttle_accuracy import reachable


def test_reachable_keeps_the_requested_limits_when_the_stack_is_fast_enough() -> None:
    # Given a stack whose unthrottled rate is well over the second limit
    # When the bench picks its limits
    # Then they are the requested ones
    assert reachable((200, 500), capacity=600.0) == (200, 500)


def test_reachable_scales_both_limits_in_proportion_below_the_stacks_rate() -> None:
    # Given a stack that cannot reach the second limit
    # When the bench picks its limits
    first, second = reachable((200, 500), capacity=234.0)
    # Then the second is 80 % of the stack's rate and the first keeps its share of the second
    assert second == 187
    assert first == 74
    assert second <= 0.8 * 234.0


class _Answer:
    def __init__(self, status_code: int, attributes: dict | None = None) -> None:
        self.status_code, self.text = status_code, "refused"
        self._attributes = attributes or {}

    def json(self) -> dict:
        return {"data": {"attributes": self._attributes}}


class _Api:
    """A stack whose PATCH answers `patch`, and whose cleanup reads `status`."""

    def __init__(self, patch: _Answer, status: str) -> None:
        self.patch, self.status = patch, status

    def call(self, method: str, path: str, body: dict | None = None) -> _Answer:
        return self.patch

    def cleanup(self, cleanup_id: str) -> dict:
        return {"status": self.status, "processed_count": 10, "errors_count": 0}


def test_patch_refused_because_the_cleanup_finished_first_reads_as_finished() -> None:
    # Given a cleanup that completed before the bench's `_interrupt` reached it: the PATCH answers 422
    api = _Api(_Answer(422), status="completed")
    # When the bench interrupts it / Then it is told the cleanup had finished, and the row goes on
    assert throttle_accuracy._patch(api, "c1", {"_interrupt": True}) is None


def test_patch_refused_on_a_running_cleanup_is_still_an_error() -> None:
    # Given a 422 on a cleanup still in progress (a bench bug, not a finished cleanup)
    api = _Api(_Answer(422), status="in_progress")
    # When the bench PATCHes it / Then the row fails with the answer
    with pytest.raises(RuntimeError, match="422"):
        throttle_accuracy._patch(api, "c1", {"max_records_per_second": 500})


def test_patch_answered_gives_the_cleanups_attributes() -> None:
    # Given a running cleanup whose PATCH answers 200
    api = _Api(_Answer(200, {"processed_count": 42}), status="in_progress")
    # When the bench PATCHes it / Then it gets the cleanup's attributes as answered
    assert throttle_accuracy._patch(api, "c1", {"_interrupt": True}) == {"processed_count": 42}
