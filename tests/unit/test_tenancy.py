"""Ids and timestamps every stored item carries."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.tenancy import BASE62, ID_LENGTH, base62_id, iso, new_id, parse_iso


def test_new_id_is_ten_base62_characters() -> None:
    # Given / When a drawn id
    drawn = new_id()
    # Then it has the id alphabet and length
    assert len(drawn) == ID_LENGTH and set(drawn) <= set(BASE62)


def test_base62_id_is_fixed_by_its_number() -> None:
    # Given two numbers
    # When each is made an id twice
    first, again, other = base62_id(12345), base62_id(12345), base62_id(12346)
    # Then the same number gives the same id, another number another id
    assert first == again != other and len(first) == ID_LENGTH and set(first) <= set(BASE62)
    assert base62_id(0) == "0" * ID_LENGTH and base62_id(61) == "z" + "0" * (ID_LENGTH - 1)


def test_iso_renders_utc_milliseconds_with_zero_padded_years() -> None:
    # Given a moment in year 5 / When it is rendered / Then the text keeps string order = time order
    assert iso(datetime(5, 1, 2, 3, 4, 5, 678_901, tzinfo=UTC)) == "0005-01-02T03:04:05.678Z"
    assert iso(None) is None


@pytest.mark.parametrize(("text", "canonical"), [
    ("2026-01-01", "2026-01-01T00:00:00.000Z"),
    ("2026-01-01T12:00:00Z", "2026-01-01T12:00:00.000Z"),
    ("2026-01-01T12:00:00+02:00", "2026-01-01T10:00:00.000Z"),
])
def test_parse_iso_reads_dates_and_offsets_as_utc(text: str, canonical: str) -> None:
    # Given an ISO 8601 text / When parsed and rendered / Then it is the canonical UTC text
    assert iso(parse_iso(text)) == canonical


@pytest.mark.parametrize("text", ["yesterday", "0001-01-01T00:00:00+01:00"])
def test_parse_iso_refuses_what_is_not_a_representable_time(text: str) -> None:
    # Given text that is not a time, or one whose UTC falls before year 1
    # When parsed / Then it is a ValueError, never an OverflowError
    with pytest.raises(ValueError):
        parse_iso(text)
