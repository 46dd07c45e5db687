"""The field app as an officer meets it: times in the post's zone, words he
can read, feedback after each tap.  Headless Chromium at phone size against
a real server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

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
