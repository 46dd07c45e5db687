"""The field app's store sealed at rest (js/vault.js): IndexedDB read raw in
Chromium at phone size shows no name, no narrative and no photo; the app
locks, refuses a wrong PIN without changing anything, and reopens with the
right one; a store written before encryption is sealed when a PIN is set."""

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
from tests.live import LiveServer, live_server

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

VICTIM = "Siti Nurhaliza Binti Ahmad"
PHRASE = "dijanjikan kerja di kebun sawit Tawau"
JPEG_HEADER = b"\xff\xd8\xff"
PHOTO = JPEG_HEADER + b"\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 40 + b"\xff\xd9"

# Every object store of the app's database, read with IndexedDB itself (not
# the app's modules), flattened to bytes: strings as UTF-8, binary as is,
# Blobs' contents, object keys and values alike.
RAW_DUMP = """
const done = arguments[0];
const parts = [];
const enc = new TextEncoder();
async function walk(v) {
  if (v === null || v === undefined) return;
  if (typeof v === "string") parts.push(enc.encode(v));
  else if (typeof v === "number" || typeof v === "boolean") parts.push(enc.encode(String(v)));
  else if (v instanceof ArrayBuffer) parts.push(new Uint8Array(v));
  else if (ArrayBuffer.isView(v)) parts.push(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  else if (v instanceof Blob) parts.push(new Uint8Array(await v.arrayBuffer()));
  else if (v instanceof CryptoKey) parts.push(enc.encode("[CryptoKey]"));
  else if (Array.isArray(v)) for (const x of v) await walk(x);
  else for (const [k, x] of Object.entries(v)) { parts.push(enc.encode(k)); await walk(x); }
}
const req = indexedDB.open("patroli-field");
req.onsuccess = async () => {
  const db = req.result;
  for (const name of db.objectStoreNames) {
    const tx = db.transaction([name], "readonly");
    const store = tx.objectStore(name);
    const get = (r) => new Promise((ok, no) => {
      r.onsuccess = () => ok(r.result);
      r.onerror = () => no(r.error);
    });
    const [keys, values] = await Promise.all([get(store.getAllKeys()), get(store.getAll())]);
    await walk(name); await walk(keys); await walk(values);
  }
  db.close();
  let size = 0;
  for (const p of parts) size += p.length;
  const all = new Uint8Array(size);
  let at = 0;
  for (const p of parts) { all.set(p, at); at += p.length; }
  let binary = "";
  for (let i = 0; i < all.length; i += 0x8000) {
    binary += String.fromCharCode(...all.subarray(i, i + 0x8000));
  }
  done(btoa(binary));
};
req.onerror = () => done(null);
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with live_server(tmp_path, "sqlite", {"NNK": ["ofc.nnk.1", "ofc.nnk.2"]}) as live:
        yield live


def _raw(driver: Any) -> bytes:
    driver.set_script_timeout(60)
    dumped = driver.execute_async_script(RAW_DUMP)
    assert dumped is not None
    return base64.b64decode(dumped)


def _assert_sealed(raw: bytes, clear_ids: list[str]) -> None:
    # The scan sees what is in clear (ids), so not finding the rest means something.
    for known in clear_ids:
        assert known.encode() in raw, known
    for secret in (VICTIM.encode(), PHRASE.encode(), b"Siti", JPEG_HEADER):
        assert secret not in raw, secret


def _record_victim(driver: Any, photo: Path) -> str:
    F.click(driver, "new-report")
    F.choose(driver, "kind", "incident")
    F.fill(driver, "title", "Kapal di Aji Kuning")
    F.fill(driver, "location.place", "Aji Kuning")
    F.fill(driver, "narrative", PHRASE)
    F.use_gps(driver)
    F.click(driver, "add-person")
    person = driver.find_element(By.CSS_SELECTOR, "[data-person]").get_attribute("data-person")
    F.choose(driver, f"persons.{person}.role", "victim")
    F.fill(driver, f"persons.{person}.name", VICTIM)
    F.attach(driver, str(photo))
    F.save(driver, "Kapal di Aji Kuning")
    (report_id,) = F.items(driver)
    return report_id


def _locked_store_call(driver: Any) -> str:
    return driver.execute_async_script(
        "const done = arguments[0];"
        "import('/field/js/store.js').then(async (m) => {"
        "  try { await (await m.Store.open()).listing(); done('read'); }"
        "  catch (e) { done(e.name); } });"
    )


def test_nothing_readable_without_the_pin_lock_wrong_pin_and_reopen(
    browser: Any, server: LiveServer, tmp_path: Path
) -> None:
    photo = tmp_path / "victim.jpg"
    photo.write_bytes(PHOTO)
    F.enroll_by_link(browser, server)
    assert browser.get_window_size()["width"] == F.PHONE[0]
    report_id = _record_victim(browser, photo)
    device_id = F.device_id(browser)
    _assert_sealed(_raw(browser), [report_id, device_id])

    F.lock(browser)
    assert "Kapal di Aji Kuning" not in browser.find_element(By.TAG_NAME, "body").text
    assert _locked_store_call(browser) == "Locked"
    before = _raw(browser)
    F.fill(browser, "pin", "999999")
    F.click(browser, "unlock")
    F.wait(browser).until(lambda d: "PIN salah" in d.find_element(By.ID, "pin-error").text)
    assert browser.find_elements(By.CSS_SELECTOR, "form[data-form=unlock]")
    assert _raw(browser) == before  # refused: not a byte of the store changed
    assert _locked_store_call(browser) == "Locked"

    F.unlock(browser)
    assert F.items(browser)[report_id]["state"] == "pending"
    F.open_report(browser, report_id)
    assert PHRASE in browser.find_element(By.CSS_SELECTOR, "[data-open-report]").text
    F.click(browser, "back")
    listed = F.sync_until(browser, {"sent"})
    assert listed[report_id]["state"] == "sent"
    _assert_sealed(_raw(browser), [report_id, device_id])

    pulled = enroll(server, "ofc.nnk.2").pull()[report_id]["report"]
    assert pulled["narrative"] == PHRASE
    assert [p["name"] for p in pulled["persons"].values()] == [VICTIM]
    (sha,) = pulled["attachments"]
    device = enroll(server, "ofc.nnk.2")
    blob = requests.get(f"{server.url}/api/v1/blobs/{sha}", headers=device.headers, timeout=10)
    assert blob.content == PHOTO


# What an app enrolled before encryption left in IndexedDB: the same records
# in clear (the shapes of the earlier store.js), written with IndexedDB itself.
PLAIN_STORE = """
const [answer, reportId, phrase, victim, done] = arguments;
const req = indexedDB.open("patroli-field");
req.onsuccess = () => {
  const db = req.result;
  const tx = db.transaction(["device", "reports", "listing", "outbox"], "readwrite");
  const fields = { kind: "patrol", title: "Patroli lama", occurred_at: "2026-11-20T05:00:00+08:00",
    route: "East ridge path", narrative: phrase, post: answer.post };
  tx.objectStore("device").put({ device_id: answer.device_id, token: answer.token,
    officer: answer.officer, post: answer.post, hlc: answer.hlc, cursor: null, revoked: false,
    enrolled_at: new Date().toISOString(), last_sync_at: null, signing_key: null }, "self");
  tx.objectStore("reports").put({ id: reportId, doc: { id: reportId, ...fields }, acked: null,
    acked_rev: null, updated_at: 1 });
  tx.objectStore("listing").put({ id: reportId, title: victim, kind: "patrol",
    occurred_at: fields.occurred_at, retracted: false, review: { status: null, note: null } });
  tx.objectStore("outbox").add({ op_id: answer.op_id, report_id: reportId, base_rev: null,
    hlc: answer.hlc, fields, state: "pending" });
  tx.oncomplete = () => { db.close(); done(null); };
  tx.onerror = () => done(String(tx.error));
};
req.onerror = () => done(String(req.error));
"""


def test_a_store_from_before_encryption_is_sealed_when_the_officer_sets_a_pin(
    browser: Any, server: LiveServer
) -> None:
    answer = requests.post(
        f"{server.url}/api/v1/devices/enroll",
        json={"enrollment_code": server.code_for("ofc.nnk.1"), "device_name": "old phone"},
        timeout=10,
    ).json()
    report_id = "0193a0b0-0000-7000-8000-000000000001"
    answer |= {"op_id": "0193a0b0-0000-7000-8000-000000000002"}
    F.as_phone(browser, server.url, *F.SEBATIK)
    browser.get(f"{server.url}/field/")  # the app makes its (empty) database
    F.ready(browser)
    browser.set_script_timeout(30)
    answer["hlc"] = browser.execute_async_script(
        "const [node, done] = arguments; import('/field/js/hlc.js')"
        ".then((H) => done(H.format({ms: Date.now(), counter: 0, node})));",
        answer["device_id"],
    )
    error = browser.execute_async_script(PLAIN_STORE, answer, report_id, PHRASE, VICTIM)
    assert error is None, error
    assert PHRASE.encode() in _raw(browser)  # the old store: in clear

    browser.refresh()
    F.ready(browser)
    F.wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, "form[data-form=set-pin]"))
    F.fill(browser, "pin", "12")
    F.click(browser, "set-pin")
    F.wait(browser).until(lambda d: "6" in d.find_element(By.ID, "pin-error").text)
    assert PHRASE.encode() in _raw(browser)  # a refused PIN seals nothing
    F.fill(browser, "pin", F.PIN)
    F.click(browser, "set-pin")
    F.wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-action=new-report]"))
    _assert_sealed(_raw(browser), [report_id, answer["device_id"]])

    F.lock(browser)
    F.unlock(browser)
    assert F.items(browser)[report_id]["state"] == "pending"
    listed = F.sync_until(browser, {"sent"})
    assert listed[report_id]["state"] == "sent"
    pulled = enroll(server, "ofc.nnk.2").pull()[report_id]["report"]
    assert pulled["narrative"] == PHRASE


def test_the_app_locks_itself_after_the_configured_idle_time(
    browser: Any, server: LiveServer
) -> None:
    F.enroll_by_link(browser, server)
    browser.execute_async_script(
        "const done = arguments[0];"
        "import('/field/js/store.js').then(async (m) =>"
        "  done(await (await m.Store.open()).putCached('lock_after_ms', 5000)));"
    )
    F.reopen(browser)
    # No touch from here on: the timer alone locks it (bounded wait, not a sleep).
    F.wait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "form[data-form=unlock]"))
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-report-id]")
    assert _locked_store_call(browser) == "Locked"


def _shown_text(driver: Any) -> str:
    # What is readable on screen: innerText (which leaves out hidden nodes)
    # and the values of the inputs that are visible (innerText has none).
    return driver.execute_script(
        "const values = [...document.querySelectorAll('input, textarea')]"
        "  .filter((node) => node.checkVisibility()).map((node) => node.value);"
        "return [document.body.innerText, ...values].join('\\n');"
    )


def test_the_lock_hides_a_form_being_typed_and_the_pin_brings_it_back_whole(
    browser: Any, server: LiveServer, tmp_path: Path
) -> None:
    photo = tmp_path / "victim.jpg"
    photo.write_bytes(PHOTO)
    title = "Perahu di Sungai Pancang"
    F.enroll_by_link(browser, server)
    F.click(browser, "new-report")
    F.choose(browser, "kind", "incident")
    F.fill(browser, "title", title)
    F.fill(browser, "narrative", PHRASE)
    F.use_gps(browser)
    F.click(browser, "add-person")
    person = browser.find_element(By.CSS_SELECTOR, "[data-person]").get_attribute("data-person")
    F.choose(browser, f"persons.{person}.role", "victim")
    F.fill(browser, f"persons.{person}.name", VICTIM)
    F.attach(browser, str(photo))
    secrets = (title, PHRASE, VICTIM, "victim.jpg")
    shown = _shown_text(browser)
    assert all(secret in shown for secret in secrets)  # so their absence below means something

    F.lock(browser)
    shown = _shown_text(browser)
    for secret in secrets:
        assert secret not in shown, secret
    assert browser.find_element(By.CSS_SELECTOR, "form[data-form=unlock]").is_displayed()
    # Out of reach of keys too: focus cannot land in the hidden form.
    assert (
        browser.execute_script(
            "const input = document.querySelector('input[name=title]');"
            "input.focus(); return document.activeElement === input;"
        )
        is False
    )
    assert _locked_store_call(browser) == "Locked"
    before = _raw(browser)
    F.fill(browser, "pin", "999999")
    F.click(browser, "unlock")
    F.wait(browser).until(lambda d: "PIN salah" in d.find_element(By.ID, "pin-error").text)
    assert _raw(browser) == before  # refused: not a byte of the store changed
    assert title not in _shown_text(browser)

    F.fill(browser, "pin", F.PIN)
    F.click(browser, "unlock")
    F.wait(browser).until(lambda d: d.find_element(By.NAME, "title").is_displayed())
    assert not browser.find_elements(By.CSS_SELECTOR, "form[data-form=unlock]")

    def value(name: str) -> str:
        return browser.find_element(By.NAME, name).get_attribute("value")

    assert value("kind") == "incident"
    assert value("title") == title
    assert value("narrative") == PHRASE
    assert value(f"persons.{person}.name") == VICTIM
    assert value(f"persons.{person}.role") == "victim"
    assert len(browser.find_elements(By.CSS_SELECTOR, "#attached li")) == 1
    shown = _shown_text(browser)
    assert all(secret in shown for secret in secrets)

    F.save(browser, title)
    (report_id,) = F.items(browser)
    doc = F.store_document(browser, report_id)
    assert doc["title"] == title and doc["narrative"] == PHRASE
    assert [p["name"] for p in doc["persons"].values()] == [VICTIM]
    assert [a["bytes"] for a in doc["attachments"].values()] == [len(PHOTO)]
