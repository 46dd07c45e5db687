"""The device store at rest: encrypted under the officer's PIN, searched for plaintext."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import orjson
import pytest

from client_sqlite import attachments, editing
from client_sqlite.connection import Transactions
from client_sqlite.encryption import PIN_ENV, StoreLocked
from client_sqlite.migrations import migrate
from client_sqlite.store import Store
from tests.world import incident

VICTIM = "Siti Nurhaliza Binti Ahmad"
PHRASE = "dijanjikan pekerjaan di kebun sawit"
PASSPORT = "C7781234"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"photo of the boat " * 200
SECRETS = (VICTIM.encode(), PHRASE.encode(), PASSPORT.encode(), b"JFIF", b"PRIVATE KEY")


def _victim_report(store: Store, folder: Path) -> str:
    fields = incident(narrative=f"Korban {PHRASE}.")
    fields["persons"] = {
        "5b0c0000-0000-4000-8000-000000000001": {
            "role": "victim",
            "sex": "F",
            "age": 16,
            "nationality": "ID",
            "name": VICTIM,
            "document": {"type": "passport", "number": PASSPORT},
        }
    }
    report_id = editing.create(store, "incident", fields)
    photo = folder / "boat.jpg"
    photo.write_bytes(JPEG)
    attachments.attach(store, report_id, photo, caption=VICTIM)
    photo.unlink()
    return report_id


def _all_bytes(folder: Path) -> dict[str, bytes]:
    """Every file the device keeps (store, WAL, shared memory, attachments)."""
    return {str(p): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _leaks(folder: Path) -> list[tuple[str, bytes]]:
    return [
        (name, secret)
        for name, data in _all_bytes(folder).items()
        for secret in SECRETS
        if secret in data
    ]


def test_nothing_readable_without_the_pin(tmp_path: Path) -> None:
    folder = tmp_path / "phone"
    store = Store(folder / "field.sqlite3", pin="482913")
    report_id = _victim_report(store, tmp_path)
    # Signing key, token and an outbox op holding the victim's name are all in there.
    store.save_enrollment(
        "http://127.0.0.1:9",
        {
            "device_id": "d1",
            "token": "pd_secret",
            "officer": "o",
            "post": "NNK",
            "server_time": "2026-11-30T00:00:00.000Z",
        },
        signing_key="-----BEGIN PRIVATE KEY-----\nMIG...\n-----END PRIVATE KEY-----\n",
    )
    assert store.outbox(report_id)
    # Checked while open (the WAL holds the latest pages) and after closing.
    assert _leaks(folder) == []
    store.close()
    assert _leaks(folder) == []
    reopened = Store(folder / "field.sqlite3", pin="482913")
    assert reopened.report(report_id)["persons"]
    (blob,) = reopened.pending_blobs()
    assert reopened.blob_source(blob) == JPEG
    reopened.close()


def test_a_wrong_pin_opens_nothing_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "field.sqlite3"
    store = Store(path, pin="482913")
    _victim_report(store, tmp_path)
    store.close()
    before = _all_bytes(tmp_path)
    with pytest.raises(StoreLocked, match="the PIN does not open this store"):
        Store(path, pin="000000")
    assert _all_bytes(tmp_path) == before


def test_no_pin_no_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PIN_ENV)
    with pytest.raises(StoreLocked, match=PIN_ENV):
        Store(tmp_path / "field.sqlite3")
    with pytest.raises(StoreLocked, match="at least 6"):
        Store(tmp_path / "field.sqlite3", pin="1234")
    assert list(tmp_path.iterdir()) == []


def test_a_plaintext_store_is_encrypted_in_place(tmp_path: Path) -> None:
    """A store written before encryption keeps its data and loses its plaintext."""
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(Transactions(conn), upto=3)
    doc = {"id": "r1", "title": "old", "narrative": PHRASE, "persons": {"p": {"name": VICTIM}}}
    conn.execute(
        "INSERT INTO reports (id, doc, updated_at) VALUES ('r1', ?, 'x')",
        (orjson.dumps(doc).decode(),),
    )
    conn.execute(
        "INSERT INTO outbox (op_id, report_id, hlc, fields, created_at) "
        "VALUES ('o1', 'r1', 'h', ?, 'x')",
        (orjson.dumps({"narrative": PHRASE}).decode(),),
    )
    sha = hashlib.sha256(JPEG).hexdigest()
    blob = tmp_path / "old.sqlite3.blobs" / sha
    blob.parent.mkdir()
    blob.write_bytes(JPEG)
    conn.execute(
        "INSERT INTO blobs (sha256, path, mime, bytes, created_at) VALUES (?, ?, ?, ?, 'x')",
        (sha, str(blob), "image/jpeg", len(JPEG)),
    )
    conn.close()
    assert _leaks(tmp_path)  # the starting point really is plaintext

    store = Store(path, pin="482913")
    assert store.report("r1")["narrative"] == PHRASE
    assert [op["fields"] for op in store.pending_ops(10)] == [{"narrative": PHRASE}]
    assert store.blob_source(store.pending_blobs()[0]) == JPEG
    store.close()
    assert _leaks(tmp_path) == []
    with closing(sqlite3.connect(path)) as plain, pytest.raises(sqlite3.DatabaseError):
        plain.execute("SELECT * FROM reports").fetchall()


def test_the_cli_says_a_wrong_pin_plainly(tmp_path: Path) -> None:
    path = tmp_path / "field.sqlite3"
    Store(path, pin="482913").close()
    proc = subprocess.run(
        [sys.executable, "-m", "patroli", "field", "--db", str(path), "list"],
        env={PIN_ENV: "111111"},
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        f"Error: Cannot open the store {path}: the PIN does not open this store."
    )
