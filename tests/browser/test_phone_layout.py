"""Every page after sign-in on a 412 × 915 phone (and still whole on a desktop).

No page scrolls sideways, and each primary action (sign-out, language, the
queue's columns, conflict resolution, device state and revocation, the
report's decision) lies inside the viewport with nothing on top of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from tests.browser.driving import click_and_wait, sign_in
from tests.browser.seed import Seeded, seed_site
from tests.live import LiveServer, live_server
from tests.world import incident

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

PHONE = (412, 915)
DESKTOP = (1400, 1000)
TOP_BAR = ("#lang-id", "#lang-en", "#sign-out", ".mainnav a")

LONG_TITLE = (
    "Sembilan calon pekerja migran non-prosedural dengan dokumen palsu di pelabuhan Tunon Taka"
)
PERSONS = {
    f"person-{n}": {
        "role": role,
        "sex": "F" if n % 2 else "M",
        "age": 15 + n * 4,
        "nationality": "ID",
        "name": "Muhammad Abdurrahman bin Abdullah Al-Banjari" if n == 0 else f"Person {n}",
        "document": {"type": "national_id", "number": f"64030123456700{n:02d}"},
        "note": "Found in the back of a truck near the Aji Kuning footpath, tired" * (n == 1),
    }
    for n, role in enumerate(("witness", "victim", "victim", "suspect", "suspect", "victim"))
}


@dataclass
class Site:
    """A live server with the browser seed and one long, crowded report."""

    server: LiveServer
    seeded: Seeded
    crowded: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One server for the module: these tests read pages and change little."""
    posts = {"NNK": ["ofc.nnk.1", "ofc.nnk.2"], "DUM": ["ofc.dum.1"]}
    with live_server(tmp_path_factory.mktemp("phone"), "sqlite", posts) as server:
        seeded = seed_site(server)
        device = seeded.devices["ofc.nnk.1"]
        crowded = device.create(
            incident(
                title=LONG_TITLE,
                narrative="The group waited at the landing until the tide turned. " * 40,
                persons=PERSONS,
                actions={"act-1": {"type": "referred", "agency": "POLRI", "note": "Polres"}},
            )
        )
        for rev in range(1, 6):  # a history longer than the screen
            assert device.push(crowded, {"route": f"Jalur {rev}"}, rev)["status"] == "applied"
        yield Site(server, seeded, crowded)


def _size(driver: Any, size: tuple[int, int]) -> None:
    """Emulate a screen of ``size`` CSS pixels (a phone below 600 px wide)."""
    width, height = size
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


_PLACE = """
const el = arguments[0];
el.scrollIntoView({block: 'center', inline: 'nearest'});
const r = el.getBoundingClientRect();
const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width,
        height: r.height, vw: document.documentElement.clientWidth, vh: window.innerHeight,
        scrollX: window.scrollX, clickable: !!hit && (hit === el || el.contains(hit))};
"""


def _reachable(driver: Any, element: Any, what: str) -> None:
    """``element`` is on screen once scrolled to (vertically), and nothing covers it."""
    box = driver.execute_script(_PLACE, element)
    assert box["width"] > 0 and box["height"] > 0, f"{what} is not shown: {box}"
    assert box["scrollX"] == 0, f"reaching {what} scrolled the page sideways: {box}"
    assert 0 <= box["left"] and box["right"] <= box["vw"], f"{what} is off the side: {box}"
    assert 0 <= box["top"] and box["bottom"] <= box["vh"], f"{what} is off screen: {box}"
    assert box["clickable"], f"something covers {what}: {box}"


def _fits(driver: Any, where: str) -> None:
    """The current page does not scroll sideways."""
    widths = driver.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{where} scrolls sideways: {widths}"


def _check_page(driver: Any, url: str, selectors: tuple[str, ...]) -> None:
    """The page at ``url`` fits the width and each selector's elements are reachable."""
    driver.get(url)
    _fits(driver, url)
    for selector in selectors:
        found = driver.find_elements(By.CSS_SELECTOR, selector)
        assert found, f"{url}: nothing matches {selector}"
        for element in found:
            _reachable(driver, element, f"{url} {selector}")


QUEUE_COLUMNS = tuple(
    f"#queue-table tbody tr {cell}"
    for cell in (".report-link", "td.status .badge", "td.officer", "td.persons")
)


def test_commander_pages_fit_a_phone(browser: Any, site: Site) -> None:
    """Queue, report, conflicts, conflict, devices, enrollment code, error page, sign-in."""
    url = site.server.url
    _size(browser, PHONE)
    _check_page(browser, f"{url}/sign-in", ("#username", "#password", "#sign-in"))
    sign_in(browser, url, "cmd.nnk")
    browser.get(f"{url}/conflicts")
    row = browser.find_element(By.CSS_SELECTOR, "#conflicts-table tbody tr")
    conflict = row.get_attribute("data-conflict")
    pages = {
        "/queue": TOP_BAR + QUEUE_COLUMNS,
        f"/reports/{site.crowded}": TOP_BAR
        + ("#action-in_review", "#action-approved", "#open-needs_info", "#open-rejected"),
        "/conflicts": TOP_BAR + ("#conflicts-table tbody tr a.btn",),
        f"/conflicts/{conflict}": TOP_BAR + ("#choose-kept", "#choose-lost", "#save-merged"),
        "/devices": TOP_BAR
        + ("#issue-code", "#devices-table td.state .badge", "#devices-table button[id^=revoke-]"),
        "/reports/no-such-report": TOP_BAR + (".error-card .btn",),
    }
    for path, selectors in pages.items():
        _check_page(browser, f"{url}{path}", selectors)
    browser.get(f"{url}/devices")
    click_and_wait(browser, browser.find_element(By.ID, "issue-code"))
    _fits(browser, "the enrollment code")
    for selector in ("#enrollment-code", ".code-card .btn", "#sign-out"):
        _reachable(browser, browser.find_element(By.CSS_SELECTOR, selector), selector)


@pytest.mark.parametrize("user", ["hq.1", "admin"])
def test_hq_and_admin_pages_fit_a_phone(browser: Any, site: Site, user: str) -> None:
    """Dashboard (with hidden counts), queue, conflicts, a report; the admin in English,
    with the longest top bar (four page links) and the devices of every post."""
    url = site.server.url
    _size(browser, PHONE)
    sign_in(browser, url, user)
    lang = "en" if user == "admin" else "id"
    pages = {
        f"/dashboard?min_count=2&lang={lang}": TOP_BAR
        + (".panel-head a", "#dashboard-filters .btn-primary"),
        "/queue": TOP_BAR + QUEUE_COLUMNS,
        "/conflicts": TOP_BAR + ("#conflicts-table tbody tr a.btn",),
        f"/reports/{site.crowded}": TOP_BAR
        + (("#review", ".case-file button") if user == "hq.1" else ("#review",)),
        # HQ's person page (early detection): appearances and the network drawing.
        f"/persons/{site.crowded}/person-1": TOP_BAR,
    }
    if user == "admin":
        pages["/devices"] = TOP_BAR + (
            "#devices-table td.state .badge",
            "#devices-table button[id^=revoke-]",
        )
    for path, selectors in pages.items():
        _check_page(browser, f"{url}{path}", selectors)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang


def test_report_decision_comes_first_on_a_phone(browser: Any, site: Site) -> None:
    """On a phone the decision buttons are on the first screen, above the report and history."""
    _size(browser, PHONE)
    sign_in(browser, site.server.url, "cmd.nnk")
    browser.get(f"{site.server.url}/reports/{site.crowded}")
    tops = browser.execute_script(
        "return Object.fromEntries(['action-approved', 'open-rejected', 'history']"
        ".map(id => [id, document.getElementById(id).getBoundingClientRect().top]))"
    )
    first_card = browser.find_element(By.CSS_SELECTOR, ".main-col .card").rect["y"]
    assert tops["action-approved"] < first_card < tops["history"]
    assert tops["open-rejected"] < PHONE[1], tops  # within the first screen, unscrolled
    click_and_wait(browser, browser.find_element(By.ID, "action-approved"))
    assert "status-approved" in browser.find_element(
        By.CSS_SELECTOR, "#review .badge"
    ).get_attribute("class")


def test_language_switch_and_sign_out_work_on_a_phone(browser: Any, site: Site) -> None:
    """The top bar's language switch and sign-out are pressed with a tap, not hunted for."""
    url = site.server.url
    _size(browser, PHONE)
    sign_in(browser, url, "cmd.nnk")
    switch = browser.find_element(By.ID, "lang-en")
    _reachable(browser, switch, "the language switch")
    click_and_wait(browser, switch)
    assert browser.find_element(By.TAG_NAME, "h1").text == "Review queue"
    sign_out = browser.find_element(By.ID, "sign-out")
    _reachable(browser, sign_out, "sign-out")
    click_and_wait(browser, sign_out)
    assert "/sign-in" in browser.current_url
    browser.get(f"{url}/queue")
    assert "/sign-in" in browser.current_url  # signed out for real


def test_desktop_keeps_full_tables_and_the_side_column(browser: Any, site: Site) -> None:
    """At 1400 × 1000 tables keep their header and one line per row; review sits on the right."""
    url = site.server.url
    _size(browser, DESKTOP)
    sign_in(browser, url, "cmd.nnk")
    for path, table, columns in (("/queue", "queue-table", 6), ("/devices", "devices-table", 7)):
        browser.get(f"{url}{path}")
        header = browser.find_elements(By.CSS_SELECTOR, f"#{table} thead th")
        assert len(header) == columns and all(th.is_displayed() for th in header)
        for row in browser.find_elements(By.CSS_SELECTOR, f"#{table} tbody tr"):
            tops = {cell.rect["y"] for cell in row.find_elements(By.TAG_NAME, "td")}
            assert len(tops) == 1, f"{path}: a row's cells are not side by side"
    browser.get(f"{url}/reports/{site.crowded}")
    main = browser.find_element(By.CSS_SELECTOR, ".main-col").rect
    review = browser.find_element(By.ID, "review").rect
    assert review["x"] >= main["x"] + main["width"] and review["y"] < main["y"] + 50
