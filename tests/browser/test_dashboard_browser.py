"""The commander's and HQ's pages in headless Chromium against a real ``patroli serve``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from tests.browser.driving import click_and_wait as _click_and_wait
from tests.browser.driving import sign_in as _sign_in
from tests.browser.driving import wait as _wait
from tests.browser.seed import Seeded, seed_site
from tests.live import LiveServer, live_server

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[LiveServer, Seeded]]:
    """A running server (SQLite) with two posts, reports and one open conflict."""
    posts = {"NNK": ["ofc.nnk.1", "ofc.nnk.2"], "DUM": ["ofc.dum.1"]}
    with live_server(tmp_path, "sqlite", posts) as server:
        yield server, seed_site(server)


def test_sign_in_refuses_wrong_password_then_opens_the_queue(browser: Any, site: Any) -> None:
    """A wrong password stays on the sign-in page with a message; the right one opens the queue."""
    server, _ = site
    _sign_in(browser, server.url, "cmd.nnk", "wrong password")
    assert "salah" in browser.find_element(By.CSS_SELECTOR, ".flash-error").text
    _sign_in(browser, server.url, "cmd.nnk")
    _wait(browser).until(EC.presence_of_element_located((By.ID, "queue-table")))
    assert browser.current_url.endswith("/queue")
    rows = browser.find_elements(By.CSS_SELECTOR, "#queue-table tbody tr")
    assert len(rows) == 5  # NNK's reports only; DUM's stays out of scope


def test_filter_the_queue(browser: Any, site: Any) -> None:
    """Kind and text filters narrow the table; the status tabs keep their counts."""
    server, seeded = site
    _sign_in(browser, server.url, "cmd.nnk")
    _wait(browser).until(EC.presence_of_element_located((By.ID, "queue-filters")))
    browser.find_element(By.CSS_SELECTOR, "#f-kind option[value='patrol']").click()
    _click_and_wait(browser, browser.find_element(By.ID, "apply-filters"))
    titles = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#queue-table .report-link")]
    assert titles == ["Night patrol east ridge"]
    browser.get(f"{server.url}/queue")
    browser.find_element(By.ID, "f-text").send_keys("plantation")
    _click_and_wait(browser, browser.find_element(By.ID, "apply-filters"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#queue-table tbody tr")
    assert [r.get_attribute("data-report") for r in rows] == [seeded.reports[2]]
    submitted = browser.find_element(By.CSS_SELECTOR, ".tab[data-status='submitted'] .count")
    assert submitted.text == "1"


def test_approve_a_report_and_the_device_sees_it(browser: Any, site: Any) -> None:
    """Approving from the report page is a new revision the officer's device pulls."""
    server, seeded = site
    _sign_in(browser, server.url, "cmd.nnk")
    report_id = seeded.reports[1]
    browser.get(f"{server.url}/reports/{report_id}")
    _click_and_wait(browser, browser.find_element(By.ID, "action-approved"))
    flash = browser.find_element(By.CSS_SELECTOR, ".flash-ok").text
    assert "Disetujui" in flash
    badge = browser.find_element(By.CSS_SELECTOR, "#review .badge")
    assert "status-approved" in badge.get_attribute("class")
    pulled = seeded.devices["ofc.nnk.1"].pull()[report_id]["report"]
    assert pulled["review"]["status"] == "approved" and pulled["review"]["by"] == "cmd.nnk"


def test_rejecting_needs_a_note_and_stale_revision_is_explained(browser: Any, site: Any) -> None:
    """A decision on a revision that changed meanwhile is refused with a clear message."""
    server, seeded = site
    _sign_in(browser, server.url, "cmd.nnk")
    report_id = seeded.reports[3]
    browser.get(f"{server.url}/reports/{report_id}")
    device = seeded.devices["ofc.nnk.1"]
    assert device.push(report_id, {"route": "East ridge, lower path"}, 1)["status"] == "applied"
    browser.find_element(By.ID, "open-rejected").click()
    _wait(browser).until(EC.visibility_of_element_located((By.ID, "note-rejected")))
    browser.find_element(By.ID, "note-rejected").send_keys("Duplicate of last night's patrol")
    _click_and_wait(browser, browser.find_element(By.ID, "action-rejected"))
    message = browser.find_element(By.CSS_SELECTOR, ".flash-error").text
    assert "revisi 1" in message and "revisi 2" in message
    assert device.pull()[report_id]["report"]["review"]["status"] == "submitted"


def test_resolve_a_conflict_side_by_side(browser: Any, site: Any) -> None:
    """The commander compares both edits and takes the other one; both devices get it."""
    server, seeded = site
    _sign_in(browser, server.url, "cmd.nnk")
    browser.get(f"{server.url}/conflicts")
    link = browser.find_element(By.CSS_SELECTOR, "#conflicts-table a.btn")
    _click_and_wait(browser, link)
    kept = browser.find_element(By.ID, "side-kept").text
    lost = browser.find_element(By.ID, "side-lost").text
    assert "a child" in kept and "ofc.nnk.2" in kept
    assert "river landing" in lost and "ofc.nnk.1" in lost
    marked = browser.find_elements(By.CSS_SELECTOR, "#side-lost mark")
    assert any("river" in m.text for m in marked)
    _click_and_wait(browser, browser.find_element(By.ID, "choose-lost"))
    assert "/reports/" in browser.current_url
    assert "river landing" in browser.find_element(By.CSS_SELECTOR, ".narrative").text
    for name in ("ofc.nnk.1", "ofc.nnk.2"):
        entry = seeded.devices[name].pull()[seeded.conflict_report]
        assert entry["report"]["narrative"].endswith("river landing.")
        assert entry["open_conflicts"] == []
    browser.get(f"{server.url}/conflicts")
    assert browser.find_elements(By.CSS_SELECTOR, "#conflicts-table") == []


def test_merged_value_from_the_editor(browser: Any, site: Any) -> None:
    """Writing a merged value stores exactly that text."""
    server, seeded = site
    _sign_in(browser, server.url, "cmd.nnk")
    browser.get(f"{server.url}/conflicts")
    _click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#conflicts-table a.btn"))
    editor = browser.find_element(By.ID, "merged-value")
    editor.clear()
    editor.send_keys("Five workers and a child met the agent at the river landing at dawn.")
    _click_and_wait(browser, browser.find_element(By.ID, "save-merged"))
    report = seeded.devices["ofc.nnk.2"].pull()[seeded.conflict_report]["report"]
    assert (
        report["narrative"]
        == "Five workers and a child met the agent at the river landing at dawn."
    )


def test_switch_language(browser: Any, site: Any) -> None:
    """Pages start in Bahasa Indonesia; the switch turns them to English and back."""
    server, _ = site
    _sign_in(browser, server.url, "hq.1")
    _wait(browser).until(EC.presence_of_element_located((By.ID, "panel-week")))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Dasbor Mabes"
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "id"
    _click_and_wait(browser, browser.find_element(By.ID, "lang-en"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "HQ dashboard"
    assert browser.current_url.endswith("/dashboard")
    browser.get(f"{server.url}/queue")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Review queue"
    _click_and_wait(browser, browser.find_element(By.ID, "lang-id"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Antrean tinjauan"


def test_dashboard_charts_render_as_inline_svg(browser: Any, site: Any) -> None:
    """Each of the four charts is an SVG drawn on the server, with a table under it."""
    server, _ = site
    _sign_in(browser, server.url, "hq.1")
    _wait(browser).until(EC.presence_of_element_located((By.ID, "panel-modus")))
    for key in ("week", "post", "destination_country", "modus"):
        panel = browser.find_element(By.ID, f"panel-{key}")
        assert panel.find_elements(By.CSS_SELECTOR, "figure.chart svg")
        assert panel.find_elements(By.CSS_SELECTOR, "table tbody tr")
    posts = browser.find_element(By.ID, "panel-post").text
    assert "NNK" in posts and "DUM" in posts
