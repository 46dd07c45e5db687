"""Sessions in headless Chromium against a real ``patroli serve``: the cookie's flags,
sign-out ending every copy of the cookie, and ``?lang=`` through sign-in."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from tests.browser.test_dashboard_browser import _click_and_wait, _sign_in, _wait
from tests.live import LiveServer, live_server

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    """A running server (SQLite) with one post and its people."""
    with live_server(tmp_path, "sqlite", {"NNK": ["ofc.nnk.1"]}) as live:
        yield live


def _get(server: LiveServer, path: str, cookie: str) -> tuple[int, dict[str, str], bytes]:
    """GET ``path`` from the server with only ``cookie`` as the session (no redirects)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("GET", path, headers={"Cookie": f"session={cookie}"})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def test_sign_out_ends_a_copied_cookie_on_the_real_server(browser: Any, server: LiveServer) -> None:
    """The browser holds a Lax, HttpOnly cookie that ends with the session; after Keluar a
    copy of it taken before gets the sign-in redirect and a 401 problem."""
    _sign_in(browser, server.url, "cmd.nnk")
    _wait(browser).until(EC.presence_of_element_located((By.ID, "sign-out")))
    cookie = browser.get_cookie("session")
    assert cookie["sameSite"] == "Lax" and cookie["httpOnly"] and not cookie["secure"]
    # 8 hours from the sign-in a moment ago (the browser's own reading of Expires).
    assert 8 * 3600 - 60 < cookie["expiry"] - time.time() <= 8 * 3600
    copy = cookie["value"]
    assert _get(server, "/queue", copy)[0] == 200
    assert _get(server, "/api/v1/reports", copy)[0] == 200

    _click_and_wait(browser, browser.find_element(By.ID, "sign-out"))
    assert browser.current_url.endswith("/sign-in")

    status, headers, _ = _get(server, "/queue", copy)
    assert status == 302 and headers["Location"].startswith("/sign-in")
    status, headers, body = _get(server, "/api/v1/reports", copy)
    assert status == 401 and headers["Content-Type"] == "application/problem+json"
    assert json.loads(body)["type"] == "urn:patroli:problem:unauthorized"


def test_lang_in_the_address_holds_through_sign_in(browser: Any, server: LiveServer) -> None:
    """``/?lang=en`` opens an English sign-in page, and the pages after sign-in are English."""
    browser.get(f"{server.url}/?lang=en")
    assert browser.current_url.endswith("/sign-in")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    _sign_in(browser, server.url, "cmd.nnk")
    _wait(browser).until(EC.presence_of_element_located((By.ID, "sign-out")))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Review queue"
