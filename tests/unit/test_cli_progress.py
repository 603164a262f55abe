"""The command-line client's pure parts: pace, filters, the token cache, error lines."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cleanups_cli.errors import error_line
from cleanups_cli.filters import FilterSyntaxError, as_query, parse_filters
from cleanups_cli.progress import PaceMeter, format_duration
from cleanups_cli.tokens import CachedToken, TokenCache
from tests.unit.fake_cleanups_api import cleanup_attributes

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def test_pace_computes_percent_rate_and_eta_from_the_counts_when_the_server_does_not() -> None:
    # Given two snapshots 10 s apart, 100 then 300 of 1,000 records done
    meter = PaceMeter()
    meter.observe(cleanup_attributes("in_progress", records=1000, processed=90, errors=10), at=0.0, now=NOW)
    # When the second arrives
    pace = meter.observe(cleanup_attributes("in_progress", records=1000, processed=280, errors=20), at=10.0, now=NOW)
    # Then percent counts errors as done, the rate is 20 records/s and 700 remain: 35 s
    assert (pace.percent, pace.rate, pace.eta_seconds) == (30.0, 20.0, 35.0)


def test_pace_takes_the_servers_figures_when_it_renders_them() -> None:
    attributes = cleanup_attributes("in_progress", records=1000, processed=100, progress_percent=10.0,
                                    records_per_second=50.0, estimated_completion_at="2026-01-01T12:00:18.000Z")
    pace = PaceMeter().observe(attributes, at=0.0, now=NOW)
    assert (pace.percent, pace.rate, pace.eta_seconds) == (10.0, 50.0, 18.0)


def test_pace_rate_covers_only_the_recent_window() -> None:
    # Given a slow start, then 100 records/s for the last 20 s
    meter = PaceMeter(window=15.0)
    for at, done in ((0.0, 0), (30.0, 10), (40.0, 1010), (50.0, 2010)):
        pace = meter.observe(cleanup_attributes("in_progress", records=5000, processed=done), at=at, now=NOW)
    # Then the rate is the recent one, not the average since the start
    assert pace.rate == 100.0


def test_pace_has_no_rate_or_eta_unless_in_progress() -> None:
    for status in ("pending", "completed", "interrupted"):
        pace = PaceMeter().observe(cleanup_attributes(status, records=10, records_per_second=3.0), at=0.0, now=NOW)
        assert (pace.rate, pace.eta_seconds) == (None, None)


def test_an_empty_cleanup_is_100_percent() -> None:
    assert PaceMeter().observe(cleanup_attributes("completed"), at=0.0, now=NOW).percent == 100.0


@pytest.mark.parametrize(("seconds", "text"), [(None, "–"), (4.4, "4s"), (65, "1m05s"), (3725, "1h02m")])
def test_durations_read_short(seconds: float | None, text: str) -> None:
    assert format_duration(seconds) == text


def test_where_items_override_the_filters_json() -> None:
    filters = parse_filters(["code_start=TSHIRT", "reference_eq=a=b"], '{"code_start": "X", "id_in": ["a", "b"]}')
    assert filters == {"code_start": "TSHIRT", "id_in": ["a", "b"], "reference_eq": "a=b"}


@pytest.mark.parametrize(("where", "filters_json"), [(["code_start"], None), (["=x"], None), ([], "[1]"), ([], "{")])
def test_malformed_filters_are_refused(where: list[str], filters_json: str | None) -> None:
    with pytest.raises(FilterSyntaxError):
        parse_filters(where, filters_json)


def test_filters_become_list_route_parameters() -> None:
    query = as_query({"id_in": ["a", "b"], "metadata_jcont": {"k": 1}, "bundle_true": True, "count_gt": 3})
    assert query == {"filter[q][id_in]": "a,b", "filter[q][metadata_jcont]": '{"k":1}',
                     "filter[q][bundle_true]": "true", "filter[q][count_gt]": "3"}


def test_token_cache_keeps_one_token_per_url_in_a_private_file(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path / "cleanups" / "tokens.json")
    cache.put("http://a", CachedToken("ta", 100.0, "c1"))
    cache.put("http://b", CachedToken("tb", 200.0, "c2"))
    assert (cache.get("http://a"), cache.get("http://b")) == (CachedToken("ta", 100.0, "c1"),
                                                              CachedToken("tb", 200.0, "c2"))
    assert cache.path.stat().st_mode & 0o777 == 0o600
    assert cache.path.parent.stat().st_mode & 0o777 == 0o700


def test_token_cache_reads_a_damaged_file_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text("{not json")
    assert TokenCache(path).get("http://a") is None
    path.write_text(json.dumps({"http://a": {"unexpected": 1}}))
    assert TokenCache(path).get("http://a") is None


def test_token_cache_default_path_follows_xdg_config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert TokenCache().path == tmp_path / "cleanups" / "tokens.json"


def test_a_token_close_to_its_expiry_is_not_fresh() -> None:
    assert CachedToken("t", 1000.0, "c").is_fresh(now=900.0)
    assert not CachedToken("t", 1000.0, "c").is_fresh(now=980.0)


@pytest.mark.parametrize(("error", "line"), [
    ({"title": "Not found", "detail": "Not found"}, "Not found"),
    ({"title": "Bad", "detail": "size", "source": {"parameter": "page[size]"}}, "Bad: size (parameter page[size])"),
    ({"detail": "no title", "status": "400"}, "HTTP 400: no title"),
    ({"title": "Key", "source": {"header": "Idempotency-Key"}}, "Key (header Idempotency-Key)"),
])
def test_error_lines_name_title_detail_and_source(error: dict[str, object], line: str) -> None:
    assert error_line(400, error) == line
