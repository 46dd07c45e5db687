"""The field app as an officer meets it: times in the post's zone, words he
can read, feedback after each tap.  Headless Chromium at phone size against
a real server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from selenium.webdriver.common.by import By

from tests.browser import field_driver as F
from tests.browser.seed import enroll
from tests.live import LiveServer, live_server

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    """A running server (SQLite) whose post NNK is on Makassar time (WITA, +08:00)."""
    posts = {"NNK": ["ofc.nnk.1", "ofc.nnk.2"]}
    with live_server(tmp_path, "sqlite", posts, zones={"NNK": "Asia/Makassar"}) as live:
        yield live


def test_time_defaults_to_now_in_the_posts_offset_whatever_the_phones_zone(
    browser: Any, server: LiveServer
) -> None:
    # The phone is set to New York time (-05:00 in November): not the post's.
    browser.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "America/New_York"})
    F.enroll_by_link(browser, server)
    assert browser.execute_script("return new Date().getTimezoneOffset()") != -480
    before = datetime.now(UTC)
    F.record(browser, "patrol", "Night patrol", {"route": "East ridge path"})
    after = datetime.now(UTC)
    (report_id,) = F.items(browser)
    stored = F.store_document(browser, report_id)["occurred_at"]
    assert stored.endswith("+08:00"), stored
    when = datetime.fromisoformat(stored)
    assert before - timedelta(minutes=1) <= when <= after + timedelta(minutes=1)

    # Editing something else keeps the time exactly as stored.
    F.edit(browser, report_id, "route", "West river path", "Night patrol")
    assert F.store_document(browser, report_id)["occurred_at"] == stored
    F.sync_until(browser, {"sent"})
    pulled = enroll(server, "ofc.nnk.2").pull()[report_id]["report"]
    assert pulled["occurred_at"] == stored and pulled["route"] == "West river path"


# Every control a thumb aims at, at least 44 px tall (a checkbox's target is
# its whole label row); and anything wider than the phone.
_SMALL_TARGETS = """
const small = [];
const visible = (e) => e.offsetParent !== null && e.getBoundingClientRect().height > 0;
const targets = [...document.querySelectorAll(
  'button, select, textarea, input:not([type=hidden]):not([type=checkbox])')];
for (const box of document.querySelectorAll('input[type=checkbox]')) {
  targets.push(box.closest('label'));
}
for (const e of targets.filter(visible)) {
  const h = e.getBoundingClientRect().height;
  if (h < 44) small.push(`${e.tagName} ${e.name || e.dataset.action || e.textContent.trim()} ${h}`);
}
const root = document.documentElement;
return {small, overflow: root.scrollWidth - root.clientWidth};
"""


def _targets(driver: Any) -> dict[str, Any]:
    return driver.execute_script(_SMALL_TARGETS)


def test_form_fits_a_thumb_and_errors_name_the_field_in_indonesian(
    browser: Any, server: LiveServer
) -> None:
    F.enroll_by_link(browser, server)
    assert _targets(browser) == {"small": [], "overflow": 0}
    F.click(browser, "new-report")
    F.click(browser, "add-person")
    F.click(browser, "add-action")
    assert _targets(browser) == {"small": [], "overflow": 0}

    F.choose(browser, "kind", "foreigner_check")
    F.click(browser, "save")
    F.wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-error-path=title]"))
    words = browser.execute_script(
        "const out = {};"
        "for (const e of document.querySelectorAll('[data-error-path]'))"
        "  out[e.dataset.errorPath] = e.textContent;"
        "return out;"
    )
    assert words["title"] == "Judul wajib diisi"
    assert words["location"] == "Lokasi wajib diisi"
    # The officer tapped "save" at the bottom: the line there says what to do,
    # and the first wrong field has the focus.
    summary = browser.find_element(By.ID, "form-error").text
    assert summary.startswith("Periksa isian yang ditandai.")
    assert browser.execute_script("return document.activeElement.name") == "title"
    assert F.store_summary(browser)["ids"] == []


def test_list_shows_state_colours_post_time_and_plain_sync_lines(
    browser: Any, server: LiveServer
) -> None:
    F.enroll_by_link(browser, server)
    assert browser.find_element(By.ID, "waiting").text == "Semua sudah terkirim."
    F.record(browser, "patrol", "Sent patrol", {"route": "East ridge path"})
    (sent,) = F.sync_until(browser, {"sent"})
    F.record(browser, "patrol", "Pending patrol", {"route": "Beach path"})
    assert browser.find_element(By.ID, "waiting").text == (
        "1 perubahan dan 0 lampiran menunggu dikirim"
    )
    bars = browser.execute_script(
        "const out = {};"
        "for (const li of document.querySelectorAll('[data-report-id]')) {"
        "  const s = getComputedStyle(li);"
        "  out[li.dataset.syncState] = [s.borderLeftWidth, s.borderLeftColor];"
        "}"
        "return out;"
    )
    assert bars["pending"][0] == bars["sent"][0] == "10px"
    assert bars["pending"][1] != bars["sent"][1]
    # Times read as the post says them (WITA), not as raw RFC 3339 or US dates.
    item = F.items(browser)[sent]["text"]
    assert "WITA" in item and "T" not in item.split("·")[1][:12], item
    last = browser.find_element(By.CSS_SELECTOR, "#sync-status .muted").text
    assert last.startswith("Sinkron terakhir: 20") and last.endswith(" WITA"), last
    F.open_report(browser, sent)
    assert "WITA" in browser.find_element(By.CSS_SELECTOR, "[data-open-report] dl").text

    # A change the server refused shows its words after the field's name.
    error = browser.execute_async_script(
        "const done = arguments[0];"
        "import('/field/js/store.js').then(async (m) => {"
        "  const store = await m.Store.open();"
        "  const id = await store.create('patrol', {title: 'Refused patrol',"
        "    occurred_at: '2026-11-20T05:00:00+08:00', route: 'x'});"
        "  const op = (await store.pendingOps(100)).find((o) => o.report_id === id);"
        "  await store.rejectLocally(op.op_id, {route: ['Too short.']});"
        "  done(null);"
        "}).catch((e) => done(String(e)));"
    )
    assert error is None, error
    F.reopen(browser)  # the data key lives in page memory only: reload, then unlock
    refused = [i for i in F.items(browser).values() if i["state"] == "rejected"]
    assert len(refused) == 1 and "Jalur: Too short." in refused[0]["text"], refused


def test_revoked_line_is_said_once_and_the_sync_button_looks_off(
    browser: Any, server: LiveServer
) -> None:
    F.enroll_by_link(browser, server)
    enabled = browser.execute_script(
        "return getComputedStyle(document.querySelector('[data-action=sync]')).backgroundColor"
    )
    device = F.device_id(browser)
    revoked = requests.post(
        f"{server.url}/api/v1/devices/{device}/revoke",
        json={"reason": "phone lost at the jetty"},
        headers=server.auth_headers("cmd.nnk"),
        timeout=10,
    )
    assert revoked.status_code == 200, revoked.text
    F.sync_once(browser)
    line = browser.find_element(By.ID, "revoked").text
    assert line.startswith("Perangkat ini telah dicabut")
    assert browser.find_element(By.ID, "sync-message").text == ""
    button = browser.find_element(By.CSS_SELECTOR, "[data-action=sync]")
    assert not button.is_enabled()
    assert button.value_of_css_property("background-color") != enabled


def test_each_kind_marks_the_fields_the_published_rules_require(
    browser: Any, server: LiveServer
) -> None:
    F.enroll_by_link(browser, server)
    F.click(browser, "new-report")
    marked = (
        "return [...document.querySelectorAll('.required-mark')].map((m) =>"
        "  m.parentElement.closest('[data-field]')?.dataset.field"
        "  || m.parentElement.dataset.action).sort()"
    )
    always = ["kind", "occurred_at", "title"]
    expected = {
        "incident": [*always, "location"],
        "patrol": [*always, "route"],
        "foreigner_check": ["add-person", *always, "location"],
        "passport_deferral": ["add-person", "destination_country", *always],
        "outreach": ["audience_size", *always, "location"],
    }
    for kind, fields in expected.items():
        F.choose(browser, "kind", kind)
        assert browser.execute_script(marked) == sorted(fields), kind
    assert "(wajib)" in browser.find_element(By.CSS_SELECTOR, "label[for=f-title]").text


def test_a_request_for_information_stands_out_in_the_list(browser: Any, server: LiveServer) -> None:
    F.enroll_by_link(browser, server)
    F.record(browser, "patrol", "Asked about", {"route": "East ridge path"})
    F.record(browser, "patrol", "Left alone", {"route": "Beach path"})
    listed = F.sync_until(browser, {"sent"})
    (asked,) = [i for i, v in listed.items() if "Asked about" in v["text"]]
    headers = server.auth_headers("cmd.nnk")
    rev = requests.get(f"{server.url}/api/v1/reports/{asked}", headers=headers, timeout=10)
    answer = requests.post(
        f"{server.url}/api/v1/reports/{asked}/review",
        json={"status": "needs_info", "note": "Which path?", "rev": rev.json()["report"]["rev"]},
        headers=headers,
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    F.sync_once(browser)
    looks = browser.execute_script(
        "const out = {};"
        "for (const li of document.querySelectorAll('[data-report-id]')) {"
        "  const line = li.querySelector('.review');"
        "  out[li.dataset.review] = [line.textContent, getComputedStyle(line).backgroundColor,"
        "    getComputedStyle(line).fontWeight];"
        "}"
        "return out;"
    )
    assert looks["needs_info"][0] == "Tinjauan: Perlu informasi — Which path?"
    assert looks["needs_info"][1] != looks["submitted"][1]
    assert int(looks["needs_info"][2]) >= 700 > int(looks["submitted"][2])
    # Opened, the report says what the commander asked, first.
    F.open_report(browser, asked)
    first = browser.find_element(By.CSS_SELECTOR, "[data-open-report] dd").text
    assert first == "Perlu informasi — Which path?"


def test_gps_refused_is_said_in_plain_indonesian(browser: Any, server: LiveServer) -> None:
    F.enroll_by_link(browser, server)
    browser.execute_cdp_cmd(
        "Browser.setPermission",
        {
            "origin": server.url,
            "permission": {"name": "geolocation"},
            "setting": "denied",
        },
    )
    F.click(browser, "new-report")
    F.click(browser, "use-gps")
    status = browser.find_element(By.ID, "gps-status")
    F.wait(browser).until(lambda d: status.text != "Mencari posisi…")
    assert status.text.startswith("Aplikasi belum diizinkan memakai lokasi"), status.text
    assert browser.find_element(By.NAME, "location.lat").get_attribute("value") == ""


def test_a_sync_or_the_language_switch_never_wipes_a_form_being_typed(
    browser: Any, server: LiveServer
) -> None:
    """The link coming back (the 'online' event syncs) while the officer types a
    new report, then a tap on the language switch: the form and every value stay."""
    F.enroll_by_link(browser, server)
    F.record(browser, "patrol", "Patroli pagi", {"route": "Jalur Aji Kuning"})
    F.click(browser, "new-report")
    F.choose(browser, "kind", "incident")
    F.fill(browser, "title", "Lima pekerja menyeberang")
    F.fill(browser, "narrative", "Dijemput speedboat tanpa nama")
    syncs = int(browser.execute_script("return document.body.dataset.syncs || '0'"))
    browser.execute_script("window.dispatchEvent(new Event('online'))")
    F.wait(browser).until(
        lambda d: int(d.execute_script("return document.body.dataset.syncs || '0'")) > syncs
    )

    def value(name: str) -> str:
        return browser.find_element(By.NAME, name).get_attribute("value")

    assert value("title") == "Lima pekerja menyeberang"
    assert value("narrative") == "Dijemput speedboat tanpa nama"
    F.click(browser, "language")
    F.wait(browser).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "[data-action=language]").text == "ID"
    )
    assert value("title") == "Lima pekerja menyeberang"
    assert value("narrative") == "Dijemput speedboat tanpa nama"
    F.use_gps(browser)
    F.save(browser, "Lima pekerja menyeberang")
    titles = [item["text"] for item in F.items(browser).values()]
    assert any("Lima pekerja menyeberang" in text for text in titles)
    assert any("Patroli pagi" in text for text in titles)  # the first, synced meanwhile
