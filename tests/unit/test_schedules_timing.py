"""Due times and relative values, pure: cron times across month and year ends (UTC), `now-<duration>`."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from chalicelib.filters import FilterValueError
from chalicelib.schedules.domain import timing

SKU_FIELDS = {"code": "string", "created_at": "datetime", "updated_at": "datetime", "quantity": "integer"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(("cron", "after", "expected"), [
    # month ends: January has 31 days, February 28 (2025) or 29 (2028)
    ("0 3 1 * *", "2025-01-31T12:00:00", "2025-02-01T03:00:00"),
    ("0 3 * * *", "2025-02-28T04:00:00", "2025-03-01T03:00:00"),
    ("0 3 31 * *", "2025-01-31T03:00:00", "2025-03-31T03:00:00"),  # February and its missing 31st skipped
    ("0 3 29 2 *", "2025-03-01T00:00:00", "2028-02-29T03:00:00"),  # the next leap day
    # year ends
    ("0 0 * * *", "2025-12-31T23:59:30", "2026-01-01T00:00:00"),
    ("30 23 31 12 *", "2025-12-31T23:30:00", "2026-12-31T23:30:00"),  # strictly after: a year later
    ("0 3 * * 1", "2025-12-30T04:00:00", "2026-01-05T03:00:00"),  # the first Monday of 2026
    ("*/15 * * * *", "2025-12-31T23:50:00", "2026-01-01T00:00:00"),
])
def test_next_run_is_the_first_cron_time_strictly_after_in_utc(cron: str, after: str, expected: str) -> None:
    # Given a cron and a moment, When its next time is asked, Then it is the first one strictly after, UTC
    assert timing.next_run(cron, at(after)) == at(expected)


def test_next_run_reads_a_moment_with_an_offset_as_the_instant_it_names() -> None:
    # Given 01:00 on New Year's Day at UTC+2, which is 23:00 UTC on New Year's Eve
    moment = datetime(2026, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=2)))
    # When the next midnight (UTC) is asked, Then it is the coming UTC midnight, an hour later
    assert timing.next_run("0 0 * * *", moment) == at("2026-01-01T00:00:00")


def test_next_runs_lists_consecutive_times_across_a_year_end() -> None:
    # Given a monthly cron near the end of a year, When the next three are asked
    times = timing.next_runs("0 3 1 * *", at("2025-11-15T00:00:00"), 3)
    # Then they are the firsts of December, January and February
    assert times == [at("2025-12-01T03:00:00"), at("2026-01-01T03:00:00"), at("2026-02-01T03:00:00")]


@pytest.mark.parametrize("cron", ["0 3 * *", "0 3 * * * *", "61 3 * * *", "0 25 * * *", "0 3 32 * *", "nightly",
                                  "0 3 * * 8", "", "@daily"])
def test_check_cron_refuses_anything_but_five_valid_fields(cron: str) -> None:
    # When a malformed cron is checked, Then it is refused
    with pytest.raises(timing.CronError):
        timing.check_cron(cron)


def test_check_cron_normalises_spacing() -> None:
    assert timing.check_cron("  0   3 * *\t1-5 ") == "0 3 * * 1-5"


@pytest.mark.parametrize(("text", "expected"), [
    ("P30D", timedelta(days=30)), ("PT12H", timedelta(hours=12)), ("P2W", timedelta(weeks=2)),
    ("P1DT2H3M4S", timedelta(days=1, hours=2, minutes=3, seconds=4)), ("PT0S", timedelta(0)),
])
def test_durations_are_read_as_iso_8601(text: str, expected: timedelta) -> None:
    moment = at("2025-06-15T12:00:00")
    assert moment - timing.duration(text) == moment - expected


@pytest.mark.parametrize("text", ["P", "PT", "30D", "P1.5D", "P-1D", "PT1D", "P1H", "p30d", "P999999D"])
def test_malformed_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        timing.duration(text)


def test_months_and_years_are_calendar_ones() -> None:
    # Given the last day of March, When a month and a year are taken off
    moment = at("2024-03-31T12:00:00")
    # Then a month earlier is the last day of February (a leap one), a year earlier the same day
    assert moment - timing.duration("P1M") == at("2024-02-29T12:00:00")
    assert moment - timing.duration("P1Y") == at("2023-03-31T12:00:00")


def test_resolve_turns_relative_order_values_into_timestamps_at_the_moment() -> None:
    # Given filters mixing relative values, absolute ones and other predicates
    filters = {"created_at_lt": "now-P30D", "updated_at_gteq_any": ["now-PT1H", "2025-01-01T00:00:00Z"],
               "code_start": "OLD", "created_at_or_updated_at_lteq": "now-P1D"}
    # When they are resolved at a moment
    resolved = timing.resolve(SKU_FIELDS, filters, at("2025-03-31T12:00:00"))
    # Then each relative value is the timestamp it names then, and the rest is as written
    assert resolved == {"created_at_lt": "2025-03-01T12:00:00.000Z",
                        "updated_at_gteq_any": ["2025-03-31T11:00:00.000Z", "2025-01-01T00:00:00Z"],
                        "code_start": "OLD", "created_at_or_updated_at_lteq": "2025-03-30T12:00:00.000Z"}


@pytest.mark.parametrize(("key", "value"), [
    ("created_at_eq", "now-P30D"),  # not an order predicate
    ("code_lt", "now-P30D"),  # not a datetime attribute
    ("quantity_gt", "now-P1D"),
    ("created_at_null", "now-P1D"),
    ("created_at_lt", "now-30 days"),  # not a duration
    ("created_at_lt", "now-"),
])
def test_resolve_refuses_a_relative_value_where_it_means_nothing(key: str, value: str) -> None:
    with pytest.raises(FilterValueError) as raised:
        timing.resolve(SKU_FIELDS, {key: value}, at("2025-03-31T12:00:00"))
    assert raised.value.key == key and raised.value.in_body


def test_resolve_leaves_an_unknown_key_for_the_filters_own_validation() -> None:
    assert timing.resolve(SKU_FIELDS, {"colour_lt": "now-P1D"}, at("2025-03-31T12:00:00")) == {"colour_lt": "now-P1D"}
