"""The officer's field app in headless Chromium at phone size against a real server.

"No signal" is the server process stopped: page-level network emulation does
not reach a service worker.  The position comes from CDP's geolocation
override.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from selenium.webdriver.common.by import By

from server.enrollment import normalize_code
from tests.browser import field_driver as F
from tests.browser.seed import enroll
from tests.live import LiveServer, live_server

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

SEBATIK = (4.137912, 117.667301, 15.0)
# A JPEG as a camera writes it; the app must upload these exact bytes.
PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 40 + b"\xff\xd9"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    """A running server (SQLite) with post NNK and two officers."""
    with live_server(tmp_path, "sqlite", {"NNK": ["ofc.nnk.1", "ofc.nnk.2"]}) as live:
        yield live


def _enroll_by_link(driver: Any, server: LiveServer) -> None:
    code = server.code_for("ofc.nnk.1")
    F.as_phone(driver, server.url, *SEBATIK)
    driver.get(f"{server.url}/field/#enroll={normalize_code(code)}")
    F.ready(driver)
    form = driver.find_element(By.CSS_SELECTOR, "form[data-form=enroll]")
    assert form.find_element(By.NAME, "enrollment_code").get_attribute("value") == normalize_code(
        code
    )
    F.click(driver, "enroll")
    F.wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-action=new-report]"))
    F.controlled(driver)


def _record(driver: Any, kind: str, title: str, extra: dict[str, str], photo: Path | None) -> None:
    F.click(driver, "new-report")
    F.choose(driver, "kind", kind)
    F.fill(driver, "title", title)
    for name, value in extra.items():
        F.fill(driver, name, value)
    F.use_gps(driver)
    if photo is not None:
        F.attach(driver, str(photo))
    F.save(driver, title)


def test_enroll_record_offline_reload_and_sync_once(
    browser: Any, server: LiveServer, tmp_path: Path
) -> None:
    photo = tmp_path / "boat.jpg"
    photo.write_bytes(PHOTO)
    _enroll_by_link(browser, server)

    server.stop()  # no signal from here on
    _record(
        browser,
        "incident",
        "Boat at Aji Kuning",
        {"location.place": "Aji Kuning", "narrative": "first words"},
        photo,
    )
    _record(browser, "patrol", "East ridge patrol", {"route": "East ridge path"}, None)
    listed = F.items(browser)
    incident = next(i for i, item in listed.items() if "Boat at Aji Kuning" in item["text"])
    F.open_report(browser, incident)
    F.click(browser, "edit")
    F.fill(browser, "narrative", "five workers, one boat")
    F.save(browser, "Boat at Aji Kuning")

    browser.refresh()  # the server is still down: the shell comes from the service worker
    F.ready(browser)
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
    device = enroll(server, "ofc.nnk.2")
    blob = requests.get(f"{server.url}/api/v1/blobs/{sha}", headers=device.headers, timeout=10)
    assert blob.status_code == 200 and blob.content == PHOTO
