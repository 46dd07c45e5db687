"""The officer's field app in headless Chromium at phone size against a real server.

"No signal" is the server process stopped: page-level network emulation does
not reach a service worker.  The position comes from CDP's geolocation
override.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from selenium.webdriver.common.by import By

from tests.browser import field_driver as F
from tests.browser.seed import enroll
from tests.live import LiveServer, live_server

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

SEBATIK = F.SEBATIK
# A JPEG as a camera writes it; the app must upload these exact bytes.
# Larger than one upload chunk (256 KiB), so it goes up in several.
PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 2400 + b"\xff\xd9"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    """A running server (SQLite) with post NNK and two officers."""
    with live_server(tmp_path, "sqlite", {"NNK": ["ofc.nnk.1", "ofc.nnk.2"]}) as live:
        yield live


def test_enroll_record_offline_reload_and_sync_once(
    browser: Any, server: LiveServer, tmp_path: Path
) -> None:
    photo = tmp_path / "boat.jpg"
    photo.write_bytes(PHOTO)
    F.enroll_by_link(browser, server)
    # Chrome would offer to install it (manifest, icons, a worker that serves the app).
    manifest = browser.execute_cdp_cmd("Page.getAppManifest", {})
    assert manifest["errors"] == [] and manifest["url"].endswith("/field/manifest.webmanifest")
    installability = browser.execute_cdp_cmd("Page.getInstallabilityErrors", {})
    assert installability["installabilityErrors"] == []

    server.stop()  # no signal from here on
    F.click(browser, "new-report")
    F.choose(browser, "kind", "incident")
    F.fill(browser, "title", "Boat at Aji Kuning")
    F.fill(browser, "location.place", "Aji Kuning")
    F.fill(browser, "narrative", "first words")
    # Earlier than the patrol below, so only "needs information first" lists it first.
    browser.execute_script(
        "document.querySelector('[name=occurred_at]').value = '2026-11-01T08:00'"
    )
    F.use_gps(browser)
    F.attach(browser, str(photo))
    F.fill(browser, f"attachments.{hashlib.sha256(PHOTO).hexdigest()}.caption", "the boat")
    F.save(browser, "Boat at Aji Kuning")
    F.record(browser, "patrol", "East ridge patrol", {"route": "East ridge path"})
    listed = F.items(browser)
    incident = next(i for i, item in listed.items() if "Boat at Aji Kuning" in item["text"])
    F.edit(browser, incident, "narrative", "five workers, one boat", "Boat at Aji Kuning")
    F.open_report(browser, incident)
    assert "1 belum terkirim" in browser.find_element(By.CSS_SELECTOR, "[data-open-report]").text
    F.click(browser, "back")

    browser.refresh()  # the server is still down: the shell comes from the service worker
    F.ready(browser)
    F.unlock(browser)  # the data key lived in the page's memory only
    listed = F.items(browser)
    assert {item["state"] for item in listed.values()} == {"pending"}
    assert len(listed) == 2

    server.start()
    listed = F.sync_until(browser, {"sent"})
    assert {item["state"] for item in listed.values()} == {"sent"}, str(listed)[-1500:]

    # What a second device of the post pulls: each report once, as recorded.
    on_server = enroll(server, "ofc.nnk.2").pull()
    assert set(on_server) == set(listed)
    report = on_server[incident]["report"]
    assert report["narrative"] == "five workers, one boat"
    assert report["location"]["lat"] == pytest.approx(SEBATIK[0])
    assert report["location"]["lon"] == pytest.approx(SEBATIK[1])
    assert report["location"]["place"] == "Aji Kuning"
    (sha,) = report["attachments"]
    assert report["attachments"][sha]["bytes"] == len(PHOTO)
    assert report["attachments"][sha]["caption"] == "the boat"
    device = enroll(server, "ofc.nnk.2")
    blob = requests.get(f"{server.url}/api/v1/blobs/{sha}", headers=device.headers, timeout=10)
    assert blob.status_code == 200 and blob.content == PHOTO

    # The commander asks for more information: the phone shows it first, with the note.
    assert (
        browser.find_element(By.CSS_SELECTOR, "[data-report-id]").get_attribute("data-report-id")
        != incident
    )
    commander = server.auth_headers("cmd.nnk")
    rev = requests.get(f"{server.url}/api/v1/reports/{incident}", headers=commander, timeout=10)
    answer = requests.post(
        f"{server.url}/api/v1/reports/{incident}/review",
        json={
            "status": "needs_info",
            "note": "Which boat?",
            "rev": rev.json()["report"]["rev"],
        },
        headers=commander,
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    F.sync_once(browser)
    first = browser.find_element(By.CSS_SELECTOR, "[data-report-id]")
    assert first.get_attribute("data-report-id") == incident
    assert "Which boat?" in first.text


def _error_text(driver: Any) -> str:
    """The error words and the paths they are about (the words name fields, not paths)."""
    # Read in one script: the app redraws, and element handles go stale.
    return driver.execute_script(
        "return [...document.querySelectorAll('.error')].map((e) => e.textContent).join(' ')"
        " + ' ' + [...document.querySelectorAll('[data-error-path]')]"
        "   .map((e) => e.dataset.errorPath).join(' ')"
    )


def _sync_label(driver: Any) -> str:
    return driver.execute_script("return document.querySelector('[data-action=sync]').textContent")


def test_form_refuses_what_the_server_schema_refuses_and_stores_nothing(
    browser: Any, server: LiveServer
) -> None:
    F.enroll_by_link(browser, server)
    F.click(browser, "new-report")
    F.choose(browser, "kind", "foreigner_check")
    F.fill(browser, "title", "Workers at the sawmill")
    F.click(browser, "save")
    # A foreigner check needs a location and persons (the server's per-kind rules).
    F.wait(browser).until(lambda d: "location" in _error_text(d) and "persons" in _error_text(d))
    assert F.store_summary(browser)["ids"] == []

    F.use_gps(browser)
    F.click(browser, "add-person")
    F.click(browser, "add-person")
    people = [
        e.get_attribute("data-person")
        for e in browser.find_elements(By.CSS_SELECTOR, "[data-person]")
    ]
    keep, drop = people
    F.choose(browser, f"persons.{keep}.role", "foreign_national")
    F.choose(browser, f"persons.{keep}.nationality", "MY")
    F.fill(browser, f"persons.{keep}.age", "130")  # the published schema says 0..120
    browser.find_element(By.CSS_SELECTOR, f"[data-action=remove-person][data-id='{drop}']").click()
    F.click(browser, "save")
    F.wait(browser).until(lambda d: f"persons.{keep}.age" in _error_text(d))
    assert F.store_summary(browser)["ids"] == []

    F.fill(browser, f"persons.{keep}.age", "34")
    F.save(browser, "Workers at the sawmill")
    F.click(browser, "new-report")
    F.choose(browser, "kind", "outreach")
    F.fill(browser, "title", "Village meeting")
    F.fill(browser, "audience_size", "45")
    F.fill(browser, "topics", "job offers abroad, safe migration")
    F.use_gps(browser)
    browser.execute_script("document.querySelector('[name=ended_at]').value = '2026-11-02T11:30'")
    F.save(browser, "Village meeting")
    # The link comes back (the browser says "online"): the app syncs by itself.
    done = int(browser.execute_script("return document.body.dataset.syncs || '0'"))
    browser.execute_script("window.dispatchEvent(new Event('online'))")
    F.wait(browser, 60).until(
        lambda d: int(d.execute_script("return document.body.dataset.syncs || '0'")) > done
    )
    listed = F.items(browser)
    assert {item["state"] for item in listed.values()} == {"sent"}
    pulled = enroll(server, "ofc.nnk.2").pull()
    assert set(pulled) == set(listed)
    by_kind = {change["report"]["kind"]: change["report"] for change in pulled.values()}
    outreach = by_kind["outreach"]
    assert outreach["topics"] == ["job offers abroad", "safe migration"]
    assert outreach["audience_size"] == 45 and outreach["ended_at"].startswith("2026-11-02T11:30")
    report = by_kind["foreigner_check"]
    assert report["kind"] == "foreigner_check"
    assert list(report["persons"]) == [keep]
    person = report["persons"][keep]
    assert (person["role"], person["nationality"], person["age"]) == ("foreign_national", "MY", 34)

    # A retraction needs a reason (a rule the server publishes); then it syncs.
    F.open_report(browser, report["id"])
    F.click(browser, "edit")
    F.wait(browser).until(lambda d: d.find_elements(By.NAME, "retracted"))
    browser.find_element(By.NAME, "retracted").click()
    F.click(browser, "save")
    F.wait(browser).until(lambda d: "retract_reason" in _error_text(d))
    F.fill(browser, "retract_reason", "counted twice")
    F.save(browser, "Workers at the sawmill")
    F.sync_until(browser, {"sent"})
    again = enroll(server, "ofc.nnk.2").pull()[report["id"]]["report"]
    assert (again["retracted"], again["retract_reason"]) == (True, "counted twice")

    assert _sync_label(browser) == "Sinkronkan"
    F.click(browser, "language")
    F.wait(browser).until(lambda d: _sync_label(d) == "Sync")


def _stored_device(driver: Any) -> Any:
    return driver.execute_async_script(
        "const done = arguments[0];"
        "import('/field/js/store.js')"
        ".then(async (m) => done(await (await m.Store.open()).device()));"
    )


def test_enrollment_refused_or_without_signal_says_so_and_stores_nothing(
    browser: Any, server: LiveServer
) -> None:
    F.as_phone(browser, server.url, *F.SEBATIK)
    browser.get(f"{server.url}/field/#enroll=0000AAAA1111")
    F.ready(browser)
    F.fill(browser, "pin", F.PIN)
    F.click(browser, "enroll")
    F.wait(browser).until(
        lambda d: "Pendaftaran gagal" in d.find_element(By.ID, "enroll-error").text
    )
    assert _stored_device(browser) is None

    code = server.code_for("ofc.nnk.1")
    F.fill(browser, "enrollment_code", code)
    F.fill(browser, "pin", F.PIN)
    server.stop()
    F.click(browser, "enroll")
    F.wait(browser).until(
        lambda d: "Tidak ada sinyal" in d.find_element(By.ID, "enroll-error").text
    )
    assert _stored_device(browser) is None

    server.start()  # the code was never spent: it still enrolls the phone
    F.click(browser, "enroll")
    F.wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-action=new-report]"))
    assert _stored_device(browser)["officer"] == "ofc.nnk.1"
