"""Settings: defaults in one place, validated values, errors that name the variable."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from chalicelib.config import SETTINGS, SettingsError, get_settings

ROOT = Path(__file__).resolve().parents[2]
CHALICE_CONFIG = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
VARIABLES = {setting.variable: setting for setting in SETTINGS.values()}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for variable in VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    return monkeypatch


def stage_environments() -> dict[str, dict[str, str]]:
    """Each stage's environment as Chalice merges it: top-level variables, then the stage's."""
    top = CHALICE_CONFIG.get("environment_variables", {})
    return {name: {**top, **stage.get("environment_variables", {})}
            for name, stage in CHALICE_CONFIG["stages"].items()}


def test_settings_take_their_defaults_from_an_empty_environment(clean_env: pytest.MonkeyPatch) -> None:
    # Given no setting in the environment
    # When the settings are read
    settings = get_settings()
    # Then every field has its documented default
    assert settings.batch_size == 500 and settings.sub_batch_size == 100
    assert settings.error_budget_ratio == 0.1 and settings.webhook_timeout_seconds == 5.0
    assert settings.webhook_allow_loopback is False and settings.jwt_secret is None
    assert settings.work_queue_name == "cleanups-work"


def test_settings_are_read_when_asked_for_not_once_for_all(clean_env: pytest.MonkeyPatch) -> None:
    # Given settings read once
    assert get_settings().batch_size == 500
    # When the environment changes (as Chalice changes it per request)
    clean_env.setenv("BATCH_SIZE", "4")
    clean_env.setenv("WEBHOOK_ALLOW_LOOPBACK", "true")
    clean_env.setenv("PUBLIC_BASE_URL", "https://api.example.com/")
    # Then the next read sees the change
    settings = get_settings()
    assert settings.batch_size == 4 and settings.webhook_allow_loopback is True
    assert settings.public_base_url == "https://api.example.com"


def test_settings_treat_an_empty_variable_as_unset(clean_env: pytest.MonkeyPatch) -> None:
    # Given variables set to the empty string
    clean_env.setenv("BATCH_SIZE", "")
    clean_env.setenv("JWT_SECRET", "")
    # When the settings are read
    settings = get_settings()
    # Then they take their defaults
    assert settings.batch_size == 500 and settings.jwt_secret is None


@pytest.mark.parametrize(("variable", "raw", "message"), [
    ("BATCH_SIZE", "abc", "BATCH_SIZE must be an integer >= 1, got 'abc'"),
    ("SUB_BATCH_SIZE", "0", "SUB_BATCH_SIZE must be an integer >= 1, got '0'"),
    ("RECONCILE_AFTER_SECONDS", "1.5", "RECONCILE_AFTER_SECONDS must be an integer, got '1.5'"),
    ("ERROR_BUDGET_RATIO", "ten", "ERROR_BUDGET_RATIO must be a number >= 0, got 'ten'"),
    ("ERROR_BUDGET_RATIO", "-0.1", "ERROR_BUDGET_RATIO must be a number >= 0, got '-0.1'"),
    ("WEBHOOK_TIMEOUT_SECONDS", "0", "WEBHOOK_TIMEOUT_SECONDS must be a number > 0, got '0'"),
    ("WEBHOOK_TIMEOUT_SECONDS", "nan", "WEBHOOK_TIMEOUT_SECONDS must be a number > 0, got 'nan'"),
    ("WEBHOOK_ALLOW_LOOPBACK", "yes please",
     "WEBHOOK_ALLOW_LOOPBACK must be a boolean (1, true, 0 or false), got 'yes please'"),
    # a cleanup expiring inside its restore window (30 days by default) could not be restored
    ("CLEANUP_RETENTION_DAYS", "29", "CLEANUP_RETENTION_DAYS must be at least RESTORE_WINDOW_DAYS (30), got '29'"),
])
def test_settings_refuse_a_bad_value_naming_the_variable(clean_env: pytest.MonkeyPatch, variable: str, raw: str,
                                                         message: str) -> None:
    # Given a variable holding a value its setting cannot take
    clean_env.setenv(variable, raw)
    # When the settings are read
    with pytest.raises(SettingsError) as raised:
        get_settings()
    # Then the error names the variable, what it must be and what it got
    assert str(raised.value) == message


def test_settings_refuse_a_bad_value_on_every_read(clean_env: pytest.MonkeyPatch) -> None:
    # Given a bad value
    clean_env.setenv("BATCH_SIZE", "abc")
    # When the settings are read twice
    # Then both reads fail: a failure is never remembered as good settings
    for _ in range(2):
        with pytest.raises(SettingsError):
            get_settings()


@pytest.mark.parametrize("stage", sorted(stage_environments()))
def test_chalice_config_sets_valid_values_that_differ_from_the_defaults(clean_env: pytest.MonkeyPatch,
                                                                       stage: str) -> None:
    # Given a stage's environment in .chalice/config.json
    environment = stage_environments()[stage]
    # When its settings are compared with config.py's defaults
    repeated = {name: value for name, value in environment.items()
                if name in VARIABLES and value == VARIABLES[name].default}
    # Then none repeats a default (config.py is the one source of defaults), and every one is valid
    assert repeated == {}
    for name, value in environment.items():
        clean_env.setenv(name, value)
    get_settings()


def readme_defaults() -> dict[str, str]:
    """`| \\`NAME\\` | default | meaning |` rows of the README's Configuration table, for known settings."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, Any] = {}
    for match in re.finditer(r"^\| `([A-Z_]+)` \| ([^|]*) \|", section, re.MULTILINE):
        variable, default = match.group(1), match.group(2).strip()
        if variable in VARIABLES and default and not default.startswith("("):
            rows[variable] = default
    return rows


def test_readme_configuration_table_states_the_defaults_of_config_py() -> None:
    # Given the README's Configuration table
    documented = readme_defaults()
    # When its defaults are compared with config.py's
    actual = {variable: VARIABLES[variable].default for variable in documented}
    # Then they agree, and the table names the tunables
    assert documented == actual
    assert {"BATCH_SIZE", "SUB_BATCH_SIZE", "MAX_CLEANUP_RECORDS", "ERROR_BUDGET_RATIO"} <= set(documented)
