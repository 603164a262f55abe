"""The dashboard in headless Chromium against the local stack, used as a person uses it.

Log in with the keyboard, preview a cleanup of seeded skus, create it, watch its bar reach 100 %,
interrupt another cleanup mid-run (screenshots at a laptop's and a phone's width on the way), and
restore the first one. Screenshots go to build/test-output/.
"""
from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from chalicelib.cleanups.domain.report import read_csv
from chalicelib.config import get_settings
from chalicelib.records.adapters.store import RecordsStore
from chalicelib.tenancy import Tenant
from devstack.dev_applications import DEV_SECRET
from tests.browser import PHONE, Dashboard, chromium, until
from tests.e2e import DEV_CLIENT_ID, RunningStack
from tests.e2e.api import Api
from tools.seed import seed

DEV_TENANT = Tenant("DemoOrg001", "test")  # what dev-integration-test's tokens name
WATCHED_SKUS = 1000
INTERRUPTED_SKUS = 5000  # enough sub-batches that a person has time to press Interrupt
ASYNC_SKUS = 1500  # past the e2e stack's in-request preview (one page of 500): counted by the worker


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    with chromium() as driver:
        yield driver


def seeded(local_stack: RunningStack, skus: int) -> str:
    """`skus` skus with their prices, tiers, stock items and list items; the reference they share."""
    store = RecordsStore(local_stack.client("dynamodb"), get_settings().records_table)
    return f"seed-{seed(DEV_TENANT, skus=skus, workers=4, store=store).tag}"


def test_dashboard_previews_creates_watches_interrupts_and_restores(local_stack: RunningStack, api: Api,
                                                                     browser: webdriver.Chrome) -> None:
    # Given seeded skus and the dashboard, logged in with the keyboard
    watched, other = seeded(local_stack, WATCHED_SKUS), seeded(local_stack, INTERRUPTED_SKUS)
    page = Dashboard(browser, f"{local_stack.api_url}/dashboard")
    page.login(DEV_CLIENT_ID, DEV_SECRET)
    until(lambda: browser.switch_to.active_element.get_attribute("id"), lambda i: i == "resource-type", 10,
          "focus on the form once logged in")
    assert not page.find("#create-button").is_enabled()  # nothing to create before a preview

    # When a cleanup of the first skus is previewed
    page.preview("skus", {"reference_eq": watched})

    # Then the preview shows the records and, per type, the associated records the cleanup would delete
    assert page.find("#preview-records").text == str(WATCHED_SKUS), page.message()
    associated = {dd.get_attribute("data-type"): int(dd.text)
                  for dd in browser.find_elements(By.CSS_SELECTOR, "#preview dd[data-type]")}
    expected = {"prices": WATCHED_SKUS, "price_volume_tiers": WATCHED_SKUS, "stock_items": WATCHED_SKUS,
                "sku_list_items": WATCHED_SKUS}
    assert {name: n for name, n in associated.items() if n} == expected, associated
    assert page.find("#create-button").is_enabled()

    # When it is created from the dashboard
    page.find("#create-button").click()
    until(lambda: page.find("#details-title").text, lambda t: t.startswith("Cleanup "), 20, "the new cleanup")
    created = page.find("#details-title").text.removeprefix("Cleanup ")

    # Then its bar reaches 100 % and the cleanup is completed, as the API says too
    until(lambda: (page.status(created), page.percent(created)), lambda s: s == ("completed", 100.0), 180,
          "the bar of the created cleanup")
    assert api.get(f"/api/cleanups/{created}")["data"]["attributes"]["processed_count"] == WATCHED_SKUS
    # (the open details refresh on their own poll, a moment after the list's)
    until(lambda: page.find("#details-progress").text, lambda t: t.startswith("completed: 100.0 %"), 20,
          "the details of the created cleanup")
    # And its details link the complete report, which downloads one row per sku
    link = until(lambda: browser.find_elements(By.CSS_SELECTOR, "#details-report a"), bool, 30, "the report link")
    href = link[0].get_attribute("href")
    assert urlsplit(href).path == urlsplit(api.get(f"/api/cleanups/{created}")["data"]["attributes"]["report_url"]).path
    rows = read_csv(requests.get(href, timeout=10).content)
    assert len(rows) == WATCHED_SKUS and {r["outcome"] for r in rows} == {"deleted"}

    # When another cleanup runs, the dashboard shows its progress; it is interrupted from its card
    response = api.request("POST", "/api/cleanups", {"data": {"type": "cleanups", "attributes": {
        "resource_type": "skus", "filters": {"reference_eq": other}}}})
    assert response.status_code == 201, response.text
    running = response.json()["data"]["id"]
    until(lambda: page.percent(running), lambda p: p > 0, 60, "progress on the running cleanup")
    page.press(running, "details")
    until(lambda: page.find("#details-progress").text, lambda t: t.startswith("in progress: "), 10,
          "the running cleanup's details")
    page.screenshot("dashboard.png")
    page.screenshot("dashboard-phone.png", PHONE)
    page.press(running, "interrupt")

    # Then it ends interrupted, short of its records, and its card says so
    until(lambda: page.status(running), lambda s: s == "interrupted", 30, "the interrupted cleanup's card")
    stopped = api.wait_for(running)
    assert stopped["status"] == "interrupted" and stopped["processed_count"] < INTERRUPTED_SKUS, stopped

    # When the completed cleanup is restored from its card
    page.press(created, "restore")

    # Then its records come back and the card reports the restore
    until(lambda: page.card(created)["text"], lambda t: f"Restore completed: {WATCHED_SKUS} restored" in t, 180,
          "the restore on the card")
    listed = api.get("/api/skus", **{"filter[q][reference_eq]": watched, "page[size]": "1"})
    assert listed["meta"]["record_count"] == WATCHED_SKUS
    # And the page kept to its own origin: no policy violation, no script error
    assert page.console_errors() == []


def test_dashboard_waits_for_a_preview_the_worker_counts_showing_its_progress(local_stack: RunningStack,
                                                                              browser: webdriver.Chrome) -> None:
    # Given 1,500 seeded skus (three pages of 500: the stack's request counts one, the worker the rest)
    reference = seeded(local_stack, ASYNC_SKUS)
    page = Dashboard(browser, f"{local_stack.api_url}/dashboard")
    page.login(DEV_CLIENT_ID, DEV_SECRET)

    # When they are previewed
    Select(page.find("#resource-type")).select_by_value("skus")
    row = browser.find_elements(By.CSS_SELECTOR, "#filter-rows li")[-1]
    row.find_element(By.CSS_SELECTOR, ".filter-key").send_keys("reference_eq")
    row.find_element(By.CSS_SELECTOR, ".filter-value").send_keys(reference)
    page.find("#preview-button").click()

    # Then the form shows the records counted so far while the worker counts, and nothing to create yet
    progress = until(lambda: browser.find_elements(By.ID, "preview-progress"), bool, 30, "the counting progress")
    assert progress[0].text.startswith("Counting: ") and "records counted so far" in progress[0].text
    assert not page.find("#create-button").is_enabled()
    # And once counted, the exact counts, and a create that may go ahead
    until(lambda: browser.find_elements(By.ID, "preview-title") or page.message(), bool, 120, "the preview")
    assert page.find("#preview-records").text == str(ASYNC_SKUS), page.message()
    associated = {dd.get_attribute("data-type"): int(dd.text)
                  for dd in browser.find_elements(By.CSS_SELECTOR, "#preview dd[data-type]")}
    assert {name: n for name, n in associated.items() if n} == {
        "prices": ASYNC_SKUS, "price_volume_tiers": ASYNC_SKUS, "stock_items": ASYNC_SKUS,
        "sku_list_items": ASYNC_SKUS}, associated
    assert page.find("#create-button").is_enabled()
    assert page.console_errors() == []


def test_dashboard_refuses_wrong_credentials_and_keeps_the_login_form(local_stack: RunningStack,
                                                                      browser: webdriver.Chrome) -> None:
    # Given the dashboard
    page = Dashboard(browser, f"{local_stack.api_url}/dashboard")
    browser.get(page.url)

    # When someone logs in with a wrong secret
    page.find("#client-id").send_keys(DEV_CLIENT_ID)
    page.find("#client-secret").send_keys("not-the-secret")
    page.find("#login-button").click()

    # Then the token endpoint's error is shown and the cleanups stay hidden
    until(page.message, bool, 10, "the login error")
    assert page.message().startswith("Login failed")
    assert not page.find("#app").is_displayed()
