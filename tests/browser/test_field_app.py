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

from tests.browser import field_driver as F
from tests.browser.seed import enroll
from tests.live import LiveServer, live_server

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

SEBATIK = F.SEBATIK
# A JPEG as a camera writes it; the app must upload these exact bytes.
PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 40 + b"\xff\xd9"


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

    server.stop()  # no signal from here on
    F.click(browser, "new-report")
    F.choose(browser, "kind", "incident")
    F.fill(browser, "title", "Boat at Aji Kuning")
    F.fill(browser, "location.place", "Aji Kuning")
    F.fill(browser, "narrative", "first words")
    F.use_gps(browser)
    F.attach(browser, str(photo))
    F.save(browser, "Boat at Aji Kuning")
    F.record(browser, "patrol", "East ridge patrol", {"route": "East ridge path"})
    listed = F.items(browser)
    incident = next(i for i, item in listed.items() if "Boat at Aji Kuning" in item["text"])
    F.edit(browser, incident, "narrative", "five workers, one boat", "Boat at Aji Kuning")

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
