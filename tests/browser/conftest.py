"""Headless Chromium (Debian's chromium and chromedriver) driven by Selenium."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.prerequisites import CHROMIUM, DRIVER, chromium_missing

LOG = logging.getLogger(__name__)

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--window-size=1400,1000",  # WINDOW
)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """Remember each phase's outcome on the item, for screenshots on failure."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


class Chromium:
    """One headless Chromium per pytest process, handed to each test reset.

    Starting Chromium and chromedriver costs seconds on a loaded machine, and
    the browser tests are many.  Between tests the browser is returned to
    how a fresh one starts: one blank window of the default size, no
    cookies, no granted or denied permissions, no emulated position, screen
    or time zone, default timeouts, and the storage (IndexedDB, service
    workers, caches) of the origin it was left on cleared.  Other origins'
    storage cannot leak: every live server of a process gets a port never
    handed out before (``patroli.serve_process.free_port``), so a test
    meets only its own origins.  A browser that fails to reset (crashed)
    is replaced by a new one.
    """

    def __init__(self) -> None:
        self.driver: Any = None

    def fresh(self) -> Any:
        """The browser, reset; a new one if there was none or it broke."""
        if self.driver is not None:
            try:
                self._reset()
                return self.driver
            except Exception:  # a crashed browser or chromedriver fails in many ways
                LOG.warning("Chromium did not reset; starting a new one", exc_info=True)
                self.quit()
        self.driver = _start()
        return self.driver

    def forget_origin(self) -> None:
        """Clear the storage of the origin the browser is on, and leave it for a blank page."""
        try:
            origin = self.driver.execute_script("return location.origin")
            if origin and origin != "null":
                self.driver.execute_cdp_cmd(
                    "Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"}
                )
            self.driver.get("about:blank")
        except Exception:
            LOG.warning(
                "Chromium did not clear its origin; the next test gets a new one", exc_info=True
            )
            self.quit()

    def quit(self) -> None:
        """Stop the browser, if any."""
        if self.driver is not None:
            driver, self.driver = self.driver, None
            try:
                driver.quit()
            except Exception:
                LOG.warning("Chromium did not quit cleanly", exc_info=True)

    def _reset(self) -> None:
        driver = self.driver
        handles = driver.window_handles
        for handle in handles[1:]:
            driver.switch_to.window(handle)
            driver.close()
        driver.switch_to.window(handles[0])
        driver.get("about:blank")
        for command, params in RESETS:
            driver.execute_cdp_cmd(command, params)
        driver.set_window_size(*WINDOW)
        _default_timeouts(driver)


#: A fresh Chromium's state, restored with DevTools commands before each test.
RESETS: tuple[tuple[str, dict[str, object]], ...] = (
    ("Network.clearBrowserCookies", {}),
    ("Network.clearBrowserCache", {}),
    ("Browser.resetPermissions", {}),
    ("Emulation.clearGeolocationOverride", {}),
    ("Emulation.clearDeviceMetricsOverride", {}),
    ("Emulation.setTimezoneOverride", {"timezoneId": ""}),
)
WINDOW = (1400, 1000)


def _start() -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    _default_timeouts(driver)
    return driver


def _default_timeouts(driver: Any) -> None:
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    driver.implicitly_wait(0)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Chromium]:
    """This process's Chromium (started by the first test that needs it)."""
    browsers = Chromium()
    try:
        yield browsers
    finally:
        browsers.quit()


@pytest.fixture
def browser(request: pytest.FixtureRequest, tmp_path: Path, chromium: Chromium) -> Iterator[Any]:
    """Chromium as fresh as a new one; a screenshot lands in tmp_path if the test fails."""
    reason = chromium_missing()
    if reason:
        pytest.skip(reason)
    driver = chromium.fresh()
    try:
        yield driver
    finally:
        failed = getattr(request.node, "rep_call", None)
        if failed is not None and failed.failed:
            shot = tmp_path / f"{request.node.name}.png"
            driver.save_screenshot(str(shot))
            print(f"screenshot of the failure: {shot}")
        chromium.forget_origin()
