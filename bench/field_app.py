"""The field app (/field/) in headless Chromium at phone size: the issue-14 figures.

Run: ``.venv/bin/python -m bench.field_app [--reports 10000] [--list 1000]``;
prints JSON.

- ``shell_gzip_bytes``: every file of the app shell (what the service worker
  precaches, plus the worker itself) as the server sends it with gzip.
- ``offline_open_ms``: median of 5 reloads with the server stopped, from
  navigation start until the app has drawn its list (``body[data-ready-ms]``).
- ``list_render_ms``: median time to build and show the list of a phone
  holding ``--list`` reports (the app stamps ``body[data-render-ms]``); it
  draws the newest 300, and ``list_render_all_ms`` is drawing all of them
  after tapping "more".
- ``fresh_install_pull_s``: a newly enrolled phone pulls ``--reports``
  reports of its post (about 1 KB of JSON each), from tapping sync until
  the sync has ended.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from bench import records
from bench.server import BenchServer
from bench.workload import push
from tests.browser import field_driver as F
from tests.browser.conftest import CHROMIUM, DRIVER, FLAGS


def _browser() -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    driver.set_page_load_timeout(60)
    return driver


def shell_bytes(url: str) -> dict[str, int]:
    """Bytes of the shell as sent with and without gzip."""
    worker = requests.get(f"{url}/field/sw.js", timeout=10).text
    shell = json.loads(worker.split("const SHELL = ", 1)[1].split(";", 1)[0])
    wire = raw = 0
    with requests.Session() as session:
        for path in [*shell, "/field/sw.js"]:
            resp = session.get(f"{url}{path}", headers={"Accept-Encoding": "gzip"}, timeout=10)
            resp.raise_for_status()
            wire += int(resp.headers.get("Content-Length", len(resp.content)))
            raw += len(resp.content)
    return {"shell_files": len(shell) + 1, "shell_gzip_bytes": wire, "shell_raw_bytes": raw}


def _stamp(driver: Any, name: str) -> int:
    return int(driver.execute_script(f"return document.body.dataset.{name}"))


def _reopen(driver: Any) -> tuple[int, int]:
    driver.refresh()
    F.ready(driver)
    ready_ms = _stamp(driver, "readyMs")  # to the lock screen
    F.unlock(driver)  # renderMs is then the list's, decrypted
    return ready_ms, _stamp(driver, "renderMs")


def _seed(server: BenchServer, count: int) -> None:
    """``count`` reports of the post, pushed by another device."""
    (creds,) = server.enroll([server.officer_code("ofc.seed")])
    rng = random.Random(14)
    ops = records.DeviceOps(creds.device_id, rng).creations(count)
    push(server.url, [(creds, records.bodies(ops, 500, rng))], {"applied"})


def _phone(server: BenchServer, driver: Any) -> float:
    """Open the enrollment link on a fresh phone and tap "enroll"; return when."""
    F.as_phone(driver, server.url, *F.SEBATIK)
    code = server.officer_code("ofc.phone")
    driver.get(f"{server.url}/field/#enroll={code.replace('-', '')}")
    F.ready(driver)
    F.fill(driver, "pin", F.PIN)
    tapped = time.perf_counter()
    F.click(driver, "enroll")
    return tapped


def _wait_synced(driver: Any, before: int, limit_s: float) -> None:
    F.wait(driver, limit_s).until(
        lambda d: int(d.execute_script("return document.body.dataset.syncs || '0'")) > before
    )


def run(reports: int = 10_000, listed: int = 1_000) -> dict[str, Any]:
    """Measure the figures; return them."""
    out: dict[str, Any] = {"reports": reports, "listed": listed}
    with tempfile.TemporaryDirectory() as tmp:
        server = BenchServer(Path(tmp))
        server.seed(0)
        server.start()
        driver = _browser()
        try:
            out |= shell_bytes(server.url)
            _seed(server, reports)
            # Enrolling starts a sync: the phone's first pull of its post.
            tapped = _phone(server, driver)
            _wait_synced(driver, 0, 600)
            out["fresh_install_pull_s"] = round(time.perf_counter() - tapped, 2)
            out["fresh_install_listed"] = len(
                driver.find_elements("css selector", "[data-report-id]")
            )
            F.controlled(driver)
            server.stop()
            server.process = None
            # No server: the app opens from the worker, with every pulled report.
            times = [_reopen(driver) for _ in range(5)]
            out["offline_open_ms"] = statistics.median(t[0] for t in times)
            out["offline_list_render_ms"] = statistics.median(t[1] for t in times)
        finally:
            driver.quit()
            server.stop()
    out |= _list_only(listed)
    return out


def _list_only(listed: int) -> dict[str, Any]:
    """List rendering on a phone holding ``listed`` reports of its own."""
    with tempfile.TemporaryDirectory() as tmp:
        server = BenchServer(Path(tmp))
        server.seed(0)
        server.start()
        driver = _browser()
        try:
            _phone(server, driver)
            _wait_synced(driver, 0, 60)
            F.controlled(driver)
            F.inject_patrols(driver, listed)
            renders = [_reopen(driver)[1] for _ in range(5)]
            return {
                "list_render_ms": statistics.median(renders),
                "list_render_all_ms": statistics.median(_render_all(driver) for _ in range(5)),
            }
        finally:
            driver.quit()
            server.stop()


def _render_all(driver: Any) -> int:
    """Tap "more" until every report is drawn; the time of drawing them all."""
    _reopen(driver)
    for _ in range(100):
        more = driver.find_elements("css selector", "[data-action=more]")
        if not more:
            return _stamp(driver, "renderMs")
        before = len(driver.find_elements("css selector", "[data-report-id]"))
        more[0].click()
        F.wait(driver).until(
            lambda d, n=before: len(d.find_elements("css selector", "[data-report-id]")) > n
        )
    raise AssertionError("the list never ended")


def main() -> None:
    """Command line entry: print the measurements as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--list", type=int, default=1_000)
    args = parser.parse_args()
    print(json.dumps(run(args.reports, args.list), indent=2))


if __name__ == "__main__":
    main()
