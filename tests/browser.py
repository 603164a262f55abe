"""Headless Debian Chromium driven by Selenium, and the dashboard as a person uses it.

Nothing is downloaded: the browser and its driver are the Debian packages `chromium` and
`chromium-driver` (.ci/run installs them), named by path, so Selenium Manager never runs.
"""
from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
OUTPUT = Path(__file__).resolve().parents[1] / "build" / "test-output"
LAPTOP = (1280, 900)
PHONE = (390, 844)
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage")
T = TypeVar("T")


@contextmanager
def chromium() -> Iterator[webdriver.Chrome]:
    """A fresh headless Chromium with its own profile; skips the test when the machine has none."""
    if not CHROMIUM.is_file() or not CHROMEDRIVER.is_file():
        pytest.skip(f"no {CHROMIUM} / {CHROMEDRIVER}: apt-get install chromium chromium-driver (.ci/run does)")
    os.environ["SE_OFFLINE"] = "true"  # belt and braces: Selenium Manager, were it reached, fetches nothing
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in (*FLAGS, f"--user-data-dir={profile}", f"--window-size={LAPTOP[0]},{LAPTOP[1]}"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
        try:
            yield driver
        finally:
            driver.quit()


def until(read: Callable[[], T], done: Callable[[T], bool], timeout: float, what: str) -> T:
    deadline = time.monotonic() + timeout
    while not done(value := read()):
        assert time.monotonic() < deadline, f"{what}: still {value!r} after {timeout:.0f}s"
        time.sleep(0.1)
    return value


class Dashboard:
    """The page at `url`, used through its labels and buttons."""

    def __init__(self, driver: webdriver.Chrome, url: str) -> None:
        self.driver = driver
        self.url = url

    def find(self, selector: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def message(self) -> str:
        return self.find("#message").text

    def login(self, client_id: str, secret: str) -> None:
        """Type the credentials and press Enter, as a keyboard user does; wait until the login is over: the
        cleanups list shown, the form's types read from the OpenAPI document and the focus on the first of them."""
        self.driver.get(self.url)
        until(lambda: self.driver.switch_to.active_element.get_attribute("id"), lambda i: i == "client-id", 10,
              "focus on the client id")
        self.driver.switch_to.active_element.send_keys(client_id, Keys.TAB, secret, Keys.ENTER)
        until(lambda: self.find("#app").is_displayed() or self.message(), bool, 20, "login")
        assert self.find("#app").is_displayed(), self.message()
        until(lambda: self.driver.switch_to.active_element.get_attribute("id"), lambda i: i == "resource-type", 30,
              "the cleanup form, its types read")

    def card(self, cleanup_id: str) -> dict[str, str]:
        """The card's status, progress value and text, read in one script (the list re-renders every poll)."""
        read = """const li = document.querySelector(`li[data-id="${arguments[0]}"]`);
                  return li && {status: li.dataset.status, percent: li.querySelector("progress").value,
                                text: li.innerText};"""
        card: dict[str, str] = until(lambda: self.driver.execute_script(read, cleanup_id), bool, 20,
                                     f"the card of cleanup {cleanup_id}")
        return card

    def status(self, cleanup_id: str) -> str:
        return self.card(cleanup_id)["status"]

    def percent(self, cleanup_id: str) -> float:
        return float(self.card(cleanup_id)["percent"])

    def press(self, cleanup_id: str, action: str) -> None:
        """Click a card's button; the list re-renders every poll, so look it up again if it was replaced."""
        for _ in range(5):
            buttons = self.driver.find_elements(By.CSS_SELECTOR, f'li[data-id="{cleanup_id}"] [data-action="{action}"]')
            assert buttons, f"cleanup {cleanup_id} has no {action} button: {self.card(cleanup_id)}"
            try:
                buttons[0].click()
                return
            except StaleElementReferenceException:  # replaced by the next render: look it up again
                time.sleep(0.1)
        raise AssertionError(f"could not press {action} on cleanup {cleanup_id}")

    def preview(self, resource_type: str, filters: dict[str, str]) -> None:
        Select(self.find("#resource-type")).select_by_value(resource_type)
        for number, (key, value) in enumerate(filters.items()):
            if number:
                self.find("#add-filter").click()
            rows = self.driver.find_elements(By.CSS_SELECTOR, "#filter-rows li")
            rows[-1].find_element(By.CSS_SELECTOR, ".filter-key").send_keys(key)
            rows[-1].find_element(By.CSS_SELECTOR, ".filter-value").send_keys(value)
        self.find("#preview-button").click()
        until(lambda: self.driver.find_elements(By.ID, "preview-title") or self.message(), bool, 30, "the preview")

    def screenshot(self, name: str, size: tuple[int, int] = LAPTOP) -> Path:
        """A PNG of the page at `size` (the window is put back to a laptop's afterwards)."""
        OUTPUT.mkdir(parents=True, exist_ok=True)
        self.driver.set_window_size(*size)
        path = OUTPUT / name
        self.driver.save_screenshot(str(path))
        self.driver.set_window_size(*LAPTOP)
        return path

    def console_errors(self) -> list[str]:
        """Script errors and Content-Security-Policy violations the page logged (not HTTP statuses it handles)."""
        return [entry["message"] for entry in self.driver.get_log("browser")
                if entry["level"] == "SEVERE" and "Failed to load resource" not in entry["message"]]
