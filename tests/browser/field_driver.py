"""Driving the field app (/field/) in headless Chromium at phone size.

Only the automation contract of docs/field-app.md is used: data-action
buttons, inputs named by document path, list items with data-report-id and
data-sync-state.  Every wait is bounded.
"""

from __future__ import annotations

from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

PHONE = (412, 915)
WAIT_S = 20


def wait(driver: Any, seconds: float = WAIT_S) -> WebDriverWait:
    """A wait of at most ``seconds``."""
    return WebDriverWait(driver, seconds)


def as_phone(driver: Any, origin: str, lat: float, lon: float, accuracy: float) -> None:
    """412 × 915 with the GPS permission granted and the position emulated."""
    driver.set_window_size(*PHONE)
    driver.execute_cdp_cmd(
        "Browser.grantPermissions", {"origin": origin, "permissions": ["geolocation"]}
    )
    driver.execute_cdp_cmd(
        "Emulation.setGeolocationOverride",
        {"latitude": lat, "longitude": lon, "accuracy": accuracy},
    )


def ready(driver: Any) -> None:
    """Wait until the app has started (it marks <body data-ready>)."""
    wait(driver).until(
        lambda d: d.execute_script("return document.body && document.body.dataset.ready")
    )


def controlled(driver: Any) -> None:
    """Wait until the service worker controls the page (the shell is precached)."""
    wait(driver).until(
        lambda d: d.execute_script(
            "return !!navigator.serviceWorker.controller && "
            "navigator.serviceWorker.controller.state === 'activated'"
        )
    )


def items(driver: Any) -> dict[str, dict[str, str]]:
    """The listed reports: id → sync state and text."""
    return driver.execute_script(
        "const out = {};"
        "for (const li of document.querySelectorAll('[data-report-id]'))"
        "  out[li.dataset.reportId] = {state: li.dataset.syncState, text: li.textContent};"
        "return out;"
    )


def fill(driver: Any, name: str, value: str) -> None:
    """Type into the input named ``name`` (replacing what is there)."""
    field = driver.find_element(By.NAME, name)
    field.clear()
    field.send_keys(value)


def choose(driver: Any, name: str, value: str) -> None:
    """Pick an option of the select named ``name``."""
    Select(driver.find_element(By.NAME, name)).select_by_value(value)


def click(driver: Any, action: str) -> None:
    """Click the visible element with ``data-action=action``."""
    wait(driver).until(
        lambda d: d.find_element(By.CSS_SELECTOR, f"[data-action={action}]").is_displayed()
    )
    driver.find_element(By.CSS_SELECTOR, f"[data-action={action}]").click()


def use_gps(driver: Any) -> None:
    """Fill the location from the (emulated) GPS."""
    click(driver, "use-gps")
    wait(driver).until(
        lambda d: d.find_element(By.ID, "gps-status").get_attribute("data-filled") == "true"
    )


def attach(driver: Any, path: str) -> None:
    """Attach a file to the open report and wait until it is hashed."""
    before = len(driver.find_elements(By.CSS_SELECTOR, "#attached li"))
    driver.find_element(By.CSS_SELECTOR, "input[type=file][name=attachment]").send_keys(path)
    wait(driver).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "#attached li")) == before + 1
    )


def save(driver: Any, title: str) -> None:
    """Save the open form and wait until the list shows ``title``."""
    click(driver, "save")
    wait(driver).until(lambda d: any(title in i["text"] for i in items(d).values()))


def open_report(driver: Any, report_id: str) -> None:
    """Open a listed report."""
    driver.find_element(By.CSS_SELECTOR, f"[data-report-id='{report_id}'] strong").click()
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-action=edit]"))


def sync_once(driver: Any) -> None:
    """Tap sync and wait until that sync has finished (the app counts them)."""
    done = int(driver.execute_script("return document.body.dataset.syncs || '0'"))
    click(driver, "sync")
    wait(driver, 60).until(
        lambda d: int(d.execute_script("return document.body.dataset.syncs || '0'")) > done
    )


def sync_until(driver: Any, states: set[str], attempts: int = 3) -> dict[str, dict[str, str]]:
    """Sync (at most ``attempts`` times) until every listed report is in ``states``."""
    for _ in range(attempts):
        sync_once(driver)
        listed = items(driver)
        if listed and all(i["state"] in states for i in listed.values()):
            return listed
    return items(driver)
