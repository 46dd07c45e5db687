"""Driving Chromium through the pages: sign in, click and wait for the next page."""

from __future__ import annotations

from typing import Any

from selenium.common.exceptions import (
    StaleElementReferenceException,
    TimeoutException,
    WebDriverException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.world import PASSWORD

WAIT_S = 15


def wait(driver: Any) -> WebDriverWait:
    """A wait of at most WAIT_S seconds."""
    return WebDriverWait(driver, WAIT_S)


def gone(element: Any) -> bool:
    """True when the element's page has been replaced.

    Chromium sometimes answers a question about a node of a page being torn
    down with "Node ... does not belong to the document" instead of a stale
    reference; that, too, means the page has gone.
    """
    try:
        element.is_enabled()
    except StaleElementReferenceException:
        return True
    except WebDriverException as exc:
        if "does not belong to the document" in str(exc.msg):
            return True
        raise
    return False


def sign_in(driver: Any, url: str, username: str, password: str = PASSWORD) -> None:
    """Sign in through the form."""
    driver.get(f"{url}/sign-in")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    click_and_wait(driver, driver.find_element(By.ID, "sign-in"))


def click_and_wait(driver: Any, element: Any) -> None:
    """Click something that loads a new page, and wait until it has.

    On a loaded CI machine a click can land while the page is still wiring
    itself up and be lost; it is repeated (at most three times) until the
    old page goes away.
    """
    for attempt in range(3):
        if attempt == 0 or not gone(element):
            try:
                element.click()
            except StaleElementReferenceException:
                break
        try:
            WebDriverWait(driver, WAIT_S / 3).until(lambda _d: gone(element))
            break
        except TimeoutException:
            continue
    wait(driver).until(lambda _d: gone(element))
    # The old page is gone; wait for the new one (after any redirect) to finish.
    wait(driver).until(lambda d: d.execute_script("return document.readyState") == "complete")
