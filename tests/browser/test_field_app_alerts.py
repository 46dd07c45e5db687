"""Early-detection alerts in the field app (issue 15): the officer opens their
post's report, sees next to the person that she was seen before at another
post (kind, date, basis, explanation, nothing of that post's report), and
sees the same answer offline, marked with its time, from a sealed cache."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from selenium.webdriver.common.by import By

from tests.browser import field_driver as F
from tests.browser.seed import enroll
from tests.browser.test_field_app_vault import RAW_DUMP
from tests.detection.scenario import APPLICANT, VICTIM, deferral
from tests.live import LiveServer, live_server
from tests.world import incident

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

DEFERRAL_TITLE = "Deferred: job offer in Malaysia"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    posts = {"NNK": ["ofc.nnk.1", "ofc.nnk.2"], "DUM": ["ofc.dum.1"]}
    with live_server(tmp_path, "sqlite", posts) as live:
        yield live


def _raw(driver: Any) -> bytes:
    driver.set_script_timeout(60)
    return base64.b64decode(driver.execute_async_script(RAW_DUMP))


def _open_with_alerts(driver: Any, report_id: str) -> str:
    F.wait(driver).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, f"[data-report-id='{report_id}']")
    )
    F.open_report(driver, report_id)
    F.wait(driver).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "[data-open-report]").get_attribute(
            "data-alerts-loaded"
        )
    )
    return driver.find_element(By.CSS_SELECTOR, "[data-open-report]").text


def test_alert_next_to_the_person_online_then_from_the_sealed_cache_offline(
    browser: Any, server: LiveServer
) -> None:
    enroll(server, "ofc.dum.1").create(deferral())
    colleague = enroll(server, "ofc.nnk.2")
    stopped = colleague.create(incident(title="Stopped on the footpath", persons={"v1": VICTIM}))
    quiet = colleague.create(incident(title="Nobody known here"))
    answer = requests.get(
        f"{server.url}/api/v1/reports/{stopped}", headers=colleague.headers, timeout=10
    ).json()
    (link,) = answer["person_links"]["v1"]
    assert link["report_id"] is None and link["post"] == "DUM"

    F.enroll_by_link(browser, server)  # its first sync pulls the post's two reports
    assert {stopped, quiet} <= set(F.items(browser))
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-alert-badge]")  # nothing asked yet

    page = _open_with_alerts(browser, stopped)
    person = browser.find_element(By.CSS_SELECTOR, "#alerts [data-alert-person=v1]").text
    assert VICTIM["name"] in person and "pemohon paspor yang ditunda" in person
    assert "Pernah terlihat: DUM, Penundaan paspor, 1 Agu 2026, nomor dokumen sama" in person
    assert link["explanation"] in person
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-alerts-as-of]")  # live answer
    for hidden in (DEFERRAL_TITLE, APPLICANT["name"], "fake_job_offer"):
        assert hidden not in page
    F.click(browser, "back")
    assert _open_with_alerts(browser, quiet)
    assert not browser.find_elements(By.ID, "alerts")
    F.click(browser, "back")
    F.wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-alert-badge]"))
    badges = browser.find_elements(By.CSS_SELECTOR, "[data-report-id] [data-alert-badge]")
    assert [b.find_element(By.XPATH, "..").get_attribute("data-report-id") for b in badges] == [
        stopped
    ]

    raw = _raw(browser)
    assert stopped.encode() in raw  # the scan sees what is in clear
    for secret in (link["explanation"], VICTIM["name"], "Pernah terlihat"):
        assert secret.encode() not in raw, secret

    server.stop()  # no signal from here on
    F.reopen(browser)
    assert browser.find_elements(
        By.CSS_SELECTOR, f"[data-report-id='{stopped}'] [data-alert-badge]"
    )
    _open_with_alerts(browser, stopped)
    as_of = browser.find_element(By.CSS_SELECTOR, "[data-alerts-as-of]").text
    assert as_of.startswith("Jawaban server per ") and "(luring)" in as_of
    person = browser.find_element(By.CSS_SELECTOR, "#alerts [data-alert-person=v1]").text
    assert "Pernah terlihat: DUM" in person and link["explanation"] in person

    browser.find_element(By.CSS_SELECTOR, "[data-action=language]").click()  # English
    _open_with_alerts(browser, stopped)
    person = browser.find_element(By.CSS_SELECTOR, "#alerts [data-alert-person=v1]").text
    assert "deferred passport applicant" in person
    assert "Seen before: DUM, Passport deferral, 1 Aug 2026, same document number" in person
    as_of = browser.find_element(By.CSS_SELECTOR, "[data-alerts-as-of]").text
    assert as_of.startswith("Server's answer as of ")

    # The report leaves the post's scope (a pull removal): its cached answer goes with it.
    gone = browser.execute_async_script(
        "const [id, done] = arguments;"
        "import('/field/js/store.js').then(async (m) => {"
        "  const store = await m.Store.open();"
        "  await store.applyPullPage([{report_id: id, removed: true}], null);"
        "  done({cached: await store.alertsOf(id), alerted: [...await store.alertedIds()]});"
        "}).catch((e) => done(String(e)));",
        stopped,
    )
    assert gone == {"cached": None, "alerted": []}
    assert link["explanation"].encode() not in _raw(browser)
