"""The cleanup item's byte budget as rules: what each attribute may take, refused at create with a 422
(docs/DESIGN.md#item-budget)."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from chalicelib.cleanups.domain import budget
from chalicelib.cleanups.domain.model import WORKER, Actor, interrupt_request
from chalicelib.cleanups.restore.model import NO_ARCHIVE, UNRESTORABLE
from chalicelib.cleanups.service_layer.reconciler import UNPROCESSABLE
from chalicelib.cleanups.service_layer.worker import bounded_log
from chalicelib.exceptions import ValidationError
from chalicelib.filters.size import INLINE_FILTERS_BYTES, MAX_FILTERS_BYTES, check_filters_size, stored_apart
from chalicelib.records.batch import MODIFIED
from chalicelib.records.model import TAKEN
from chalicelib.records.restore import ALREADY_EXISTS
from chalicelib.schedules.domain.model import validate_create as validate_schedule
from tests.item_budget import FOUR_BYTES, worst_case_cleanup
from tests.unit.fakes import World, settings
from tests.unit.test_cleanups_services import create, skus

RECORD_ID = "Ab3De6Gh9J"  # ids are 10 characters


def _refused_on(pointer: str, raised: pytest.ExceptionInfo[ValidationError]) -> bool:
    return [detail.pointer for detail in raised.value.details] == [pointer]


def test_dynamo_bytes_counts_as_dynamodb_does() -> None:
    # Given values of each kind / When sized / Then strings in UTF-8 bytes, numbers a byte per two digits plus one,
    # maps and lists three bytes plus one per element and their keys
    assert budget.dynamo_bytes(FOUR_BYTES * 3) == 12
    assert budget.dynamo_bytes(Decimal("12345")) == 4 and budget.dynamo_bytes(7) == 2
    assert budget.dynamo_bytes(None) == budget.dynamo_bytes(True) == 1
    assert budget.dynamo_bytes({"base": ["ab"]}) == 3 + 1 + 4 + (3 + 1 + 2)
    assert budget.dynamo_bytes(frozenset({1, 22, 333})) == 2 + 2 + 3


@pytest.mark.parametrize("entry", [{"updated_at": [MODIFIED]}, UNPROCESSABLE, NO_ARCHIVE, UNRESTORABLE,
                                   {"code": [TAKEN], "id": [ALREADY_EXISTS]}])
def test_every_error_the_service_logs_fits_an_errors_log_entry(entry: dict[str, list[str]]) -> None:
    # Given an error the worker, the reconciler or a restore logs for a record / When it is logged
    # Then it is logged as it is
    assert budget.log_entry(RECORD_ID, entry) == entry


def test_an_error_larger_than_an_entry_is_logged_as_too_long() -> None:
    # Given an error whose messages take more than an entry's bytes
    entry = {"code": [TAKEN], "reference": [TAKEN], "id": [ALREADY_EXISTS]}
    assert budget.entry_bytes(RECORD_ID, entry) > budget.MAX_LOG_ENTRY_BYTES
    # When it is logged / Then it is logged as too long, which fits
    assert budget.log_entry(RECORD_ID, entry) == budget.TOO_LONG
    assert budget.entry_bytes(RECORD_ID, budget.TOO_LONG) <= budget.MAX_LOG_ENTRY_BYTES


def test_bounded_log_keeps_the_cap_and_bounds_each_entry() -> None:
    # Given a log two entries short of its cap, and three errors, the first too long
    world = World(settings=settings(errors_log_cap=5))
    logged = {f"logged{n:04d}": {"base": ["x"]} for n in range(3)}
    long_entry = {"base": ["y" * 200]}
    errors = {"first00001": long_entry, "second0001": {"base": ["z"]}, "third00001": {"base": ["w"]}}
    # When the errors are bounded
    kept = bounded_log(world.ports, errors, logged)
    # Then the first two are kept, the long one as too long
    assert kept == {"first00001": budget.TOO_LONG, "second0001": {"base": ["z"]}}


def test_the_worst_case_cleanups_attributes_add_up_to_less_than_the_item_budget() -> None:
    # Given the worst-case cleanup (every attribute at its limit, both logs at their cap with the longest entries)
    cleanup = worst_case_cleanup()
    # When its values are sized (the stored item adds its keys and names: tests/integration/test_item_budget.py)
    total = sum(budget.dynamo_bytes(value) for value in vars(cleanup).values() if not hasattr(value, "key"))
    # Then they fit the budget with room for the names and keys
    assert total + 2_000 <= budget.ITEM_BUDGET, total


def test_a_cleanups_metadata_over_its_limit_is_refused_on_metadata() -> None:
    # Given metadata one byte over a cleanup's limit, and metadata at it
    over = {"note": "x" * (budget.MAX_CLEANUP_METADATA_BYTES - 11)}
    at = {"note": "x" * (budget.MAX_CLEANUP_METADATA_BYTES - 12)}
    # When each is checked / Then only the larger one is refused, on metadata
    with pytest.raises(ValidationError) as raised:
        budget.check_sizes({"metadata": over})
    assert _refused_on("/data/attributes/metadata", raised)
    budget.check_sizes({"metadata": at})


@pytest.mark.parametrize(("reference", "refused"), [("r" * 255, False), ("r" * 256, True),
                                                    (FOUR_BYTES * 252, False), (FOUR_BYTES * 253, True)])
def test_a_reference_must_fit_its_index_key(reference: str, refused: bool) -> None:
    # Given a reference of 255 or 256 characters, or of 252 or 253 four-byte characters (1,008 or 1,012 bytes)
    # When it is checked / Then it is refused when over 255 characters, or when `by_reference` passes 1,024 bytes
    if refused:
        with pytest.raises(ValidationError) as raised:
            budget.check_sizes({"reference": reference})
        assert _refused_on("/data/attributes/reference", raised)
    else:
        budget.check_sizes({"reference": reference})


def test_filters_over_what_their_own_item_holds_are_refused_on_filters() -> None:
    # Given filters just over the most an item of their own holds
    filters = {"code_in": ["c" * 250] * (MAX_FILTERS_BYTES // 250)}
    # When checked / Then refused on filters; smaller ones over the inline size are kept apart instead
    with pytest.raises(ValidationError) as raised:
        check_filters_size(filters)
    assert _refused_on("/data/attributes/filters", raised)
    assert stored_apart({"code_in": ["c" * 19] * 10_000})
    assert not stored_apart({"code_in": ["c" * (INLINE_FILTERS_BYTES - 20)]})


def test_a_throttle_too_low_for_the_records_is_refused_at_create_and_writes_nothing() -> None:
    # Given 1,001 skus: at one record a second, 1,001 sub-batches of one
    world = World(settings=settings(max_cleanup_records=2_000))
    skus(world, budget.MAX_SUB_BATCHES + 1)
    # When a cleanup of all of them is created at one record a second
    with pytest.raises(ValidationError) as raised:
        create(world, max_records_per_second=1)
    # Then it is refused on the throttle, naming the lowest rate, and nothing was stored or enqueued
    assert _refused_on("/data/attributes/max_records_per_second", raised)
    assert "at least 2 for 1001 records" in raised.value.details[0].detail
    assert world.cleanups.cleanups == {} and world.queue.messages == []
    # And at two records a second it is accepted
    assert create(world, max_records_per_second=2).sub_batch_count == 501


def test_an_interrupt_keeps_a_bounded_user_agent_on_the_cleanup() -> None:
    # Given an interrupt asked with a 10,000-character User-Agent
    actor = Actor(who=WORKER.who, user_agent="u" * 10_000)
    # When the cleanup keeps who asked / Then it keeps the agent's first characters only
    kept = interrupt_request(actor, datetime(2026, 12, 7, tzinfo=UTC))
    assert kept["user_agent"] == "u" * budget.MAX_USER_AGENT_CHARS


@pytest.mark.parametrize(("attributes", "pointer"), [
    ({"metadata": {"note": "x" * budget.MAX_CLEANUP_METADATA_BYTES}}, "/data/attributes/metadata"),
    ({"reference": "r" * 256}, "/data/attributes/reference"),
    ({"filters": {"code_in": ["c" * 250] * (MAX_FILTERS_BYTES // 250)}}, "/data/attributes/filters"),
])
def test_a_schedule_is_held_to_what_its_runs_cleanups_take(attributes: dict[str, object], pointer: str) -> None:
    # Given a schedule whose cleanups would hold metadata, a reference or filters over a cleanup's limits
    create = {"name": "Nightly", "resource_type": "skus", "cron": "0 3 * * *", **attributes}
    # When it is created / Then it is refused on that attribute, as its runs' creates would be
    with pytest.raises(ValidationError) as raised:
        validate_schedule(create, 10_000, datetime(2026, 12, 7, tzinfo=UTC))
    assert _refused_on(pointer, raised)
