"""The dashboard's schedules panel in headless Chromium against the local stack: preview what a schedule's run
would select now, create it from its form, pause it and run it now from its card, and see the run's outcome there
and its cleanup in the list."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from devstack.dev_applications import DEV_SECRET
from tests.browser import Dashboard, chromium, until
from tests.e2e import DEV_CLIENT_ID, RunningStack
from tests.e2e.api import Api
from tests.e2e.test_cli_e2e import seed_skus

SKUS = 20
READ_CARD = """const li = document.querySelector(`#schedule-list li[data-id="${arguments[0]}"]`);
               return li && {enabled: li.dataset.enabled, outcome: li.dataset.outcome, runs: li.dataset.runs,
                             text: li.innerText};"""


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    with chromium() as driver:
        yield driver


def schedule_card(browser: webdriver.Chrome, schedule_id: str) -> dict[str, Any]:
    card: dict[str, Any] = until(lambda: browser.execute_script(READ_CARD, schedule_id), bool, 20,
                                 f"the card of schedule {schedule_id}")
    return card


def test_dashboard_creates_a_schedule_pauses_it_and_runs_it_now(local_stack: RunningStack, api: Api,
                                                                browser: webdriver.Chrome) -> None:
    # Given seeded skus and the dashboard, logged in
    prefix = seed_skus(local_stack, SKUS, associated=False)
    page = Dashboard(browser, f"{local_stack.api_url}/dashboard")
    page.login(DEV_CLIENT_ID, DEV_SECRET)
    until(lambda: [o.get_attribute("value") for o in Select(page.find("#schedule-type")).options],
          lambda types: "skus" in types, 10, "the schedule form's resource types")

    # When a schedule of them is filled in the form, with a relative date
    page.find("#schedule-name").send_keys(f"ui {prefix}")
    Select(page.find("#schedule-type")).select_by_value("skus")
    page.find("#schedule-filters").send_keys(f'{{"code_start": "{prefix}", "created_at_lt": "now-PT2H"}}')
    page.find("#schedule-cron").clear()
    page.find("#schedule-cron").send_keys("30 2 * * 1")

    # Then it cannot be created before a preview; a preview shows what a run now would select (the seeded skus are
    # stamped hours ago), and a change to the form asks for a new one
    assert not page.find("#schedule-create").is_enabled()
    page.find("#schedule-preview-button").click()
    records = until(lambda: browser.execute_script(
        "const p = document.getElementById('schedule-preview-records'); return p && p.dataset.records;"),
        bool, 30, "the schedule's preview")
    assert records == str(SKUS) and page.find("#schedule-create").is_enabled()
    page.find("#schedule-filters").send_keys(Keys.BACKSPACE, "}")
    assert not page.find("#schedule-create").is_enabled()
    page.find("#schedule-preview-button").click()
    until(lambda: page.find("#schedule-create").is_enabled(), bool, 30, "the create button after a new preview")

    # When it is created
    page.find("#schedule-create").click()
    until(page.message, lambda m: m.startswith("Schedule "), 20, "the create message")

    # Then the API holds it as typed, and its card shows it enabled with its next run, never run
    assert "created: next run" in page.message(), page.message()
    schedule_id = page.message().split()[1]
    attributes = api.get(f"/api/cleanup_schedules/{schedule_id}")["data"]["attributes"]
    assert (attributes["name"], attributes["cron"], attributes["filters"]) == (
        f"ui {prefix}", "30 2 * * 1", {"code_start": prefix, "created_at_lt": "now-PT2H"})
    card = schedule_card(browser, schedule_id)
    assert card["enabled"] == "true" and card["runs"] == "0", card
    assert f"Next run: {attributes['next_run_at'][:16].replace('T', ' ')} UTC" in card["text"], card

    # When it is paused from its card
    page.press(schedule_id, "pause")

    # Then the card and the API say paused, and the card offers Resume
    until(lambda: schedule_card(browser, schedule_id)["enabled"], lambda e: e == "false", 20, "the paused card")
    assert api.get(f"/api/cleanup_schedules/{schedule_id}")["data"]["attributes"]["enabled"] is False
    assert browser.find_elements("css selector", f'#schedule-list li[data-id="{schedule_id}"] [data-action="resume"]')

    # When it is run now from its card
    page.press(schedule_id, "run")

    # Then the card shows the run's outcome, its cleanup appears in the cleanups list and completes
    until(lambda: schedule_card(browser, schedule_id), lambda c: (c["outcome"], c["runs"]) == ("created", "1"), 20,
          "the run's outcome on the card")
    assert "Last run: " in schedule_card(browser, schedule_id)["text"]
    (run,) = api.get(f"/api/cleanup_schedules/{schedule_id}/cleanups")["data"]
    until(lambda: page.status(run["id"]), lambda s: s == "completed", 120, "the run's cleanup card")
    assert api.wait_for(run["id"])["processed_count"] == SKUS
    page.screenshot("dashboard-schedules.png")
    assert page.console_errors() == []
    api.request("DELETE", f"/api/cleanup_schedules/{schedule_id}")
