"""Driving the field app (/field/) in headless Chromium at phone size.

Only the automation contract of docs/field-app.md is used: data-action
buttons, inputs named by document path, list items with data-report-id and
data-sync-state.  Every wait is bounded.
"""

from __future__ import annotations

from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from server.devices.enrollment import normalize_code
from tests.live import LiveServer

PHONE = (412, 915)
WAIT_S = 20
SEBATIK = (4.137912, 117.667301, 15.0)
#: The officer's PIN in these tests (the store is sealed under it).
PIN = "246810"


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
    wait(driver).until(lambda d: d.find_elements(By.NAME, name))
    field = driver.find_element(By.NAME, name)
    field.clear()
    field.send_keys(value)


def choose(driver: Any, name: str, value: str) -> None:
    """Pick an option of the select named ``name``."""
    wait(driver).until(lambda d: d.find_elements(By.NAME, name))
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


def enroll_by_link(driver: Any, server: LiveServer, officer: str = "ofc.nnk.1") -> str:
    """Open the QR code's link as a phone would, enroll; return the code used."""
    code = normalize_code(server.code_for(officer))
    as_phone(driver, server.url, *SEBATIK)
    driver.get(f"{server.url}/field/#enroll={code}")
    ready(driver)
    form = driver.find_element(By.CSS_SELECTOR, "form[data-form=enroll]")
    assert form.find_element(By.NAME, "enrollment_code").get_attribute("value") == code
    fill(driver, "pin", PIN)
    click(driver, "enroll")
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-action=new-report]"))
    controlled(driver)
    # Enrolling starts the first sync (the post's reports); let it end first.
    wait(driver, 60).until(
        lambda d: int(d.execute_script("return document.body.dataset.syncs || '0'")) >= 1
    )
    return code


def unlock(driver: Any, pin: str = PIN) -> None:
    """Enter the PIN on the lock screen and wait for the report list."""
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "form[data-form=unlock]"))
    fill(driver, "pin", pin)
    click(driver, "unlock")
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-action=new-report]"))


def lock(driver: Any) -> None:
    """Fire the inactivity lock now (the app's documented event) and wait for it."""
    driver.execute_script("window.dispatchEvent(new Event('patroli:lock'))")
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "form[data-form=unlock]"))


def reopen(driver: Any) -> None:
    """Reload the app and unlock it (the data key lives in memory only)."""
    driver.refresh()
    ready(driver)
    unlock(driver)


def record(driver: Any, kind: str, title: str, extra: dict[str, str]) -> None:
    """Record a report through the form, with the GPS position."""
    click(driver, "new-report")
    choose(driver, "kind", kind)
    fill(driver, "title", title)
    for name, value in extra.items():
        fill(driver, name, value)
    use_gps(driver)
    save(driver, title)


def edit(driver: Any, report_id: str, name: str, value: str, title: str) -> None:
    """Open a listed report, change one input and save."""
    open_report(driver, report_id)
    click(driver, "edit")
    fill(driver, name, value)
    save(driver, title)


def inject_patrols(driver: Any, count: int) -> None:
    """Record ``count`` patrol reports through the app's own store module (fast)."""
    driver.set_script_timeout(120)
    error = driver.execute_async_script(
        "const [n, done] = arguments;"
        "import('/field/js/store.js').then(async (m) => {"
        "  const store = await m.Store.open();"
        "  for (let i = 0; i < n; i++) await store.create('patrol', {title: `Bulk patrol ${i}`,"
        "    occurred_at: '2026-11-20T05:00:00+08:00', route: 'East ridge path'});"
        "  done(null);"
        "}).catch((e) => done(String(e)));",
        count,
    )
    assert error is None, error


def device_id(driver: Any) -> str:
    """The enrolled device's id, from the app's store."""
    return driver.execute_async_script(
        "const done = arguments[0];"
        "import('/field/js/store.js').then(async (m) => done((await (await m.Store.open())"
        ".device()).device_id));"
    )


def store_summary(driver: Any) -> dict[str, Any]:
    """Report ids and outbox counts straight from the app's store (the list shows 300)."""
    return driver.execute_async_script(
        "const done = arguments[0];"
        "import('/field/js/store.js').then(async (m) => {"
        "  const store = await m.Store.open();"
        "  const rows = await store.listing();"
        "  done({ids: rows.map((r) => r.id), states: [...new Set(rows.map((r) => r.state))],"
        "        counts: await store.counts()});"
        "});"
    )


def store_document(driver: Any, report_id: str) -> dict[str, Any]:
    """The local document of one report, straight from the app's store."""
    return driver.execute_async_script(
        "const [id, done] = arguments;"
        "import('/field/js/store.js').then(async (m) => "
        "  done((await (await m.Store.open()).report(id)).doc));",
        report_id,
    )


#: The app's own sync engine run on its store, with what its pulls downloaded
#: (Resource Timing: the API is fetched by the page, never by the worker).
_SYNC_SCRIPT = """
const done = arguments[arguments.length - 1];
performance.setResourceTimingBufferSize(100000);
performance.clearResourceTimings();
Promise.all([import('/field/js/store.js'), import('/field/js/sync.js')]).then(async ([S, Y]) => {
  const result = await Y.sync(await S.Store.open());
  const pulls = performance.getEntriesByType('resource')
    .filter((e) => e.name.includes('/api/v1/sync/pull'));
  const sum = (key) => pulls.reduce((n, e) => n + e[key], 0);
  done({result, pulls: pulls.length, pull_body_bytes: sum('encodedBodySize'),
        pull_json_bytes: sum('decodedBodySize'), pull_transfer_bytes: sum('transferSize')});
}).catch((e) => done({error: String(e)}));
"""


def sync_counted(driver: Any) -> dict[str, Any]:
    """One sync by the app's engine: its result and the bytes its pull answers took."""
    driver.set_script_timeout(300)
    out = driver.execute_async_script(_SYNC_SCRIPT)
    assert "error" not in out, out
    return out


def store_row(driver: Any, report_id: str) -> dict[str, Any]:
    """One report's stored row (local ``doc``, ``acked``, ``acked_rev``) from the app's store."""
    return driver.execute_async_script(
        "const [id, done] = arguments;"
        "import('/field/js/store.js').then(async (m) => "
        "  done(await (await m.Store.open()).report(id)));",
        report_id,
    )
