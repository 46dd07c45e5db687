"""Attachments from a field device: copied in offline, uploaded before the ops, resumable."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from client_sqlite import attachments
from client_sqlite.display import short_id
from patroli.cli import main
from sync.engine import SyncEngine
from tests.faults.proxy import FaultPlan, FaultProxy
from tests.field import FieldDevice
from tests.live import LiveServer, live_server
from tests.world import incident

POSTS = {"NNK": ["ofc.1", "ofc.2"], "DUM": ["ofc.d"]}


@pytest.fixture
def server(tmp_path: Path, backend: str):
    """A seeded live server."""
    with live_server(tmp_path, backend, POSTS) as s:
        yield s


def photo(path: Path, size: int) -> Path:
    """A 'JPEG' of ``size`` random bytes."""
    path.write_bytes(os.urandom(size))
    return path


def commander(server: LiveServer) -> dict[str, str]:
    """Authorization for the NNK commander."""
    token = requests.post(
        f"{server.url}/api/v1/auth/token",
        timeout=10,
        json={"username": "cmd.nnk", "password": "correct horse battery"},
    )
    return {"Authorization": f"Bearer {token.json()['token']}"}


def test_attach_offline_then_sync_uploads_intact(server: LiveServer, tmp_path: Path) -> None:
    """A photo attached offline reaches the server byte for byte; the report lists it."""
    dev = FieldDevice.enroll(tmp_path / "a.sqlite3", server.url, server.code_for("ofc.1"))
    rid = dev.create(incident())
    pic = photo(tmp_path / "boat.jpg", 700_000)
    sha = attachments.attach(dev.store, rid, pic, caption="the boat")
    pic.unlink()  # the store keeps its own copy
    assert dev.store.report(rid)["attachments"][sha] == {
        "mime": "image/jpeg",
        "bytes": 700_000,
        "caption": "the boat",
    }
    result = dev.sync()
    assert result.complete and result.blobs_uploaded == 1
    headers = commander(server)
    got = requests.get(f"{server.url}/api/v1/blobs/{sha}", headers=headers, timeout=30)
    assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == sha
    view = requests.get(f"{server.url}/api/v1/reports/{rid}", headers=headers, timeout=10).json()
    assert view["missing_blobs"] == [] and sha in view["report"]["attachments"]
    assert attachments.blobs(dev.store)[sha]["uploaded_at"]


def test_upload_survives_a_breaking_link(server: LiveServer, tmp_path: Path) -> None:
    """Through a proxy that cuts the connection three times, the photo arrives once, intact."""
    dev = FieldDevice.enroll(tmp_path / "a.sqlite3", server.url, server.code_for("ofc.1"))
    rid = dev.create(incident())
    sha = attachments.attach(dev.store, rid, photo(tmp_path / "scan.jpg", 3_000_000))
    with FaultProxy(server.port, lifetime_s=90) as proxy:
        proxy.queue(
            FaultPlan(),
            FaultPlan(cut_up_after=400_000),
            FaultPlan(cut_up_after=700_000),
            FaultPlan(cut_up_after=300_000),
        )
        transport = dev.transport(base_url=proxy.url)
        transport.session.headers["Connection"] = "close"
        result = SyncEngine(dev.store, transport).run()
        sent_up = proxy.bytes_up
    assert result.complete and result.blobs_uploaded == 1, result.reason
    assert sent_up < 2 * 3_000_000
    got = requests.get(f"{server.url}/api/v1/blobs/{sha}", headers=commander(server), timeout=30)
    assert hashlib.sha256(got.content).hexdigest() == sha


def test_same_photo_from_two_devices_uploaded_once(server: LiveServer, tmp_path: Path) -> None:
    """The second device finds the photo on the server and sends no bytes of it."""
    a = FieldDevice.enroll(tmp_path / "a.sqlite3", server.url, server.code_for("ofc.1"))
    b = FieldDevice.enroll(tmp_path / "b.sqlite3", server.url, server.code_for("ofc.2"))
    pic = photo(tmp_path / "same.jpg", 400_000)
    attachments.attach(a.store, a.create(incident()), pic)
    attachments.attach(b.store, b.create(incident()), pic)
    first, second = a.sync(), b.sync()
    assert first.blob_bytes_sent >= 400_000
    assert second.complete and second.blob_bytes_sent < 10_000


def test_cli_attach_takes_photos_and_pdfs_only(server: LiveServer, tmp_path: Path) -> None:
    """Only photos and PDFs can be attached; the device says so offline."""
    dev = FieldDevice.enroll(tmp_path / "a.sqlite3", server.url, server.code_for("ofc.1"))
    rid = dev.create(incident())
    text = tmp_path / "notes.txt"
    text.write_text("not evidence")
    runner = CliRunner()
    db = str(tmp_path / "a.sqlite3")
    dev.store.close()
    result = runner.invoke(main, ["field", "--db", db, "attach", short_id(rid), str(text)])
    assert result.exit_code != 0 and "must be a photo or a PDF scan" in result.output
    pdf = tmp_path / "permit.pdf"
    pdf.write_bytes(b"%PDF-1.4 " + os.urandom(1000))
    ok = runner.invoke(
        main, ["field", "--db", db, "attach", short_id(rid), str(pdf), "--caption", "stay permit"]
    )
    assert ok.exit_code == 0, ok.output
    shown = runner.invoke(main, ["field", "--db", db, "show", short_id(rid)])
    assert "not uploaded yet" in shown.output
    synced = runner.invoke(main, ["field", "--db", db, "sync"])
    assert synced.exit_code == 0 and "uploaded 1 attachment(s)" in synced.output
    assert "uploaded" in runner.invoke(main, ["field", "--db", db, "show", short_id(rid)]).output


def test_server_refusal_is_kept_and_reports_still_go(tmp_path: Path, backend: str) -> None:
    """A photo over the server's limit is refused for good, said in status; the report arrives."""
    with live_server(
        tmp_path, backend, POSTS, extra_env={"PATROLI_MAX_BLOB_BYTES": "100000"}
    ) as server:
        dev = FieldDevice.enroll(tmp_path / "a.sqlite3", server.url, server.code_for("ofc.1"))
        rid = dev.create(incident())
        sha = attachments.attach(dev.store, rid, photo(tmp_path / "huge.jpg", 250_000))
        result = dev.sync()
        assert not result.complete and result.blobs_refused == 1
        assert "refused an attachment" in result.reason
        assert result.applied == 1 and dev.store.counts()["pending"] == 0
        assert "too large" in attachments.blobs(dev.store)[sha]["error"].lower() or (
            "413" in attachments.blobs(dev.store)[sha]["error"]
        )
        assert dev.store.counts()["blobs_refused"] == 1
        assert dev.sync().blobs_refused == 0  # not retried forever
