"""The field app when things go wrong: a concurrent edit, a server killed in
the middle of a sync, a revoked device.  Headless Chromium at phone size
against a real ``patroli serve``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from selenium.webdriver.common.by import By

from server.infra.db import db
from server.infra.models import Report
from tests.browser import field_driver as F
from tests.browser.seed import enroll
from tests.field import FieldDevice
from tests.live import PASSWORD, LiveServer, live_server

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    """A running server (SQLite) with post NNK and two officers."""
    with live_server(tmp_path, "sqlite", {"NNK": ["ofc.nnk.1", "ofc.nnk.2"]}) as live:
        yield live


def _report_count(server: LiveServer, app: Flask | None = None) -> int:
    with (app or server._app()).app_context():
        count = db.session.query(Report).count()
        db.session.remove()
        if app is None:
            db.engine.dispose()
        return count


def test_concurrent_edit_shows_conflict_in_the_app_and_to_the_commander(
    browser: Any, server: LiveServer, tmp_path: Path
) -> None:
    F.enroll_by_link(browser, server)
    F.record(browser, "patrol", "Night patrol jetty", {"route": "Jetty path"})
    (report_id,) = F.sync_until(browser, {"sent"})

    cli = FieldDevice.enroll(tmp_path / "cli.sqlite3", server.url, server.code_for("ofc.nnk.2"))
    assert cli.sync().complete
    # Both edit the route without seeing each other's change; the phone is later.
    cli.edit(report_id, {"route": "Jetty path, north end"})
    F.edit(browser, report_id, "route", "Jetty path, south end", "Night patrol jetty")
    assert cli.sync().complete
    listed = F.sync_until(browser, {"conflict"})
    message = browser.find_element(By.ID, "sync-message").text
    assert listed[report_id]["state"] == "conflict", (listed, message)

    # The phone shows both sides: the later edit (the phone's) kept, the other kept aside.
    F.open_report(browser, report_id)
    shown = browser.find_element(By.CSS_SELECTOR, "[data-conflict=route]").text
    assert "Jetty path, south end" in shown and "Jetty path, north end" in shown
    assert shown.startswith("Jalur: dipakai"), shown  # the field in words, not "route"
    conflicts = requests.get(
        f"{server.url}/api/v1/conflicts", headers=server.auth_headers("cmd.nnk"), timeout=10
    ).json()
    assert [c["report_id"] for c in conflicts["conflicts"]] == [report_id]
    browser.get(f"{server.url}/sign-in")
    browser.find_element(By.ID, "username").send_keys("cmd.nnk")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "sign-in").click()
    F.wait(browser).until(lambda d: "/sign-in" not in d.current_url)
    browser.get(f"{server.url}/conflicts")
    assert "Night patrol jetty" in browser.find_element(By.TAG_NAME, "main").text


def test_server_killed_mid_sync_then_next_sync_duplicates_nothing(
    browser: Any, server: LiveServer
) -> None:
    F.enroll_by_link(browser, server)
    total = 400
    F.inject_patrols(browser, total)
    F.reopen(browser)
    done = int(browser.execute_script("return document.body.dataset.syncs || '0'"))
    F.click(browser, "sync")
    # Kill as soon as the first batch is committed: the rest of the push and
    # the pull are then cut off (bounded: at most 60 s of polling the database).
    app = server._app()
    deadline = time.monotonic() + 60
    committed = 0
    while committed == 0 and time.monotonic() < deadline:
        committed = _report_count(server, app)
    server.kill()
    with app.app_context():
        db.engine.dispose()
    assert 0 < committed < total, committed
    F.wait(browser, 60).until(
        lambda d: int(d.execute_script("return document.body.dataset.syncs || '0'")) > done
    )
    assert "pending" in {i["state"] for i in F.items(browser).values()}

    server.start()
    listed = F.sync_until(browser, {"sent"})
    assert {i["state"] for i in listed.values()} == {"sent"}
    phone = F.store_summary(browser)
    assert len(phone["ids"]) == total and phone["states"] == ["sent"]
    assert phone["counts"] == {"pending": 0, "rejected": 0, "blobs": 0}
    assert _report_count(server) == total
    assert set(enroll(server, "ofc.nnk.2").pull()) == set(phone["ids"])


def test_revoked_device_says_so_and_keeps_its_reports(browser: Any, server: LiveServer) -> None:
    F.enroll_by_link(browser, server)
    F.record(browser, "patrol", "Unsent patrol", {"route": "Beach path"})
    device = F.device_id(browser)
    revoked = requests.post(
        f"{server.url}/api/v1/devices/{device}/revoke",
        json={"reason": "phone lost at the jetty"},
        headers=server.auth_headers("cmd.nnk"),
        timeout=10,
    )
    assert revoked.status_code == 200, revoked.text

    F.sync_once(browser)
    assert browser.find_element(By.ID, "revoked").is_displayed()
    assert not browser.find_element(By.CSS_SELECTOR, "[data-action=sync]").is_enabled()
    F.reopen(browser)
    assert browser.find_element(By.ID, "revoked").is_displayed()
    (item,) = F.items(browser).values()
    assert item["state"] == "pending" and "Unsent patrol" in item["text"]
    assert _report_count(server) == 0


def test_a_new_worker_waits_until_the_officer_taps_update(browser: Any, server: LiveServer) -> None:
    F.enroll_by_link(browser, server)
    banner = browser.find_element(By.ID, "update")
    assert not banner.is_displayed()
    # A worker script at a new URL is an update of the same registration, as a
    # worker with new bytes is (what a new shell version gives).
    error = browser.execute_async_script(
        "const done = arguments[0];"
        "navigator.serviceWorker.register('/field/sw.js?release=2', {scope: '/field/'})"
        ".then(() => done(null), (e) => done(String(e)));"
    )
    assert error is None, error
    F.wait(browser).until(lambda d: d.find_element(By.ID, "update").is_displayed())
    browser.execute_script("window.beforeUpdate = true")
    F.click(browser, "update")
    # The new worker takes over and the app reloads itself once.
    F.wait(browser).until(lambda d: d.execute_script("return window.beforeUpdate !== true"))
    F.ready(browser)
    controller = browser.execute_script("return navigator.serviceWorker.controller.scriptURL")
    # (The reloaded app registers /field/sw.js again, a new URL once more, so
    # another update may be offered now: that is the trick of this test.)
    assert controller.endswith("/field/sw.js?release=2")


def test_editing_keeps_what_the_form_does_not_show(
    browser: Any, server: LiveServer, tmp_path: Path
) -> None:
    cli = FieldDevice.enroll(tmp_path / "cli.sqlite3", server.url, server.code_for("ofc.nnk.2"))
    person = {
        "role": "foreign_national",
        "age": 30,
        "nationality": "MY",
        "workplace": "Sawmill at Sei Pancang",
        "document": {"type": "passport", "number": "A1234567", "country": "MY"},
    }
    report_id = cli.create(
        {
            "title": "Check at the sawmill",
            "occurred_at": "2026-11-20T09:00:00+08:00",
            "location": {"lat": 4.1, "lon": 117.6, "accuracy_m": 8, "place": "Sei Pancang"},
            "persons": {"p1": person},
        },
        kind="foreigner_check",
    )
    assert cli.sync().complete
    F.enroll_by_link(browser, server)  # its first sync pulls the report
    F.edit(browser, report_id, "persons.p1.age", "31", "Check at the sawmill")
    F.sync_until(browser, {"sent"})

    assert cli.sync().complete
    doc = cli.docs()[report_id]
    assert doc["persons"]["p1"] == dict(person, age=31)
    assert doc["location"] == {"lat": 4.1, "lon": 117.6, "accuracy_m": 8, "place": "Sei Pancang"}
