"""Ops signed by the field app in Chromium, verified by a real server, in a case file."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from server.infra.db import db
from server.infra.models import Device, ReportRevision
from server.reports import row_codec
from sync import signing
from tests.browser import field_driver as F
from tests.live import LiveServer, live_server

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with live_server(tmp_path, "sqlite", {"NNK": ["ofc.nnk.1"]}) as live:
        yield live


def _stored(server: LiveServer, device_id: str) -> tuple[str | None, list[Any]]:
    app = server._app()
    with app.app_context():
        key = db.session.get(Device, device_id).public_key
        rows = (
            db.session.execute(select(ReportRevision).where(ReportRevision.device_id == device_id))
            .scalars()
            .all()
        )
        db.engine.dispose()
    return key, rows


def test_the_app_signs_its_ops_and_the_server_keeps_verified_signatures(
    browser: Any, server: LiveServer, tmp_path: Path
) -> None:
    F.enroll_by_link(browser, server)
    device_id = F.device_id(browser)
    # The private key is a non-extractable CryptoKey in IndexedDB.
    extractable = browser.execute_async_script(
        "const done = arguments[0];"
        "import('/field/js/store.js').then(async (m) => done((await (await m.Store.open())"
        ".device()).signing_key.extractable));"
    )
    assert extractable is False
    F.record(browser, "patrol", "Signed patrol", {"route": "East ridge path"})
    listed = F.sync_until(browser, {"sent"})
    (report_id,) = listed
    F.edit(browser, report_id, "route", "West ridge path", "Signed patrol")
    F.sync_until(browser, {"sent"})

    public_key, revisions = _stored(server, device_id)
    assert public_key and len(revisions) == 2
    key = signing.load_public_key(public_key)
    for revision in revisions:
        # What the server kept verifies with Python's own code, over the op as signed.
        # (stored without the ids its row holds: server.reports.row_codec)
        op = row_codec.decode_op(revision.op, revision.op_id, revision.report_id)
        signing.verify(key, signing.canonical(op), revision.signature)

    out = tmp_path / "case.zip"
    for args in (["export", report_id, "--out", str(out)], ["verify", str(out)]):
        proc = subprocess.run(
            [sys.executable, "-m", "patroli", "evidence", *args],
            env=server.env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == "verified"
