"""A field device's signed report exported as a case file and verified, as real processes."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import orjson
import pytest
import requests

from client_sqlite import attachments
from tests.field import FieldDevice
from tests.live import LiveServer, live_server
from tests.world import incident

POSTS = {"NNK": ["ofc.1"]}


def patroli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``python -m patroli ARGS``, bounded in time."""
    return subprocess.run(
        [sys.executable, "-m", "patroli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def server(tmp_path: Path, backend: str):
    """A seeded live server."""
    with live_server(tmp_path, backend, POSTS) as s:
        yield s


def test_export_then_verify_offline(server: LiveServer, tmp_path: Path) -> None:
    meta = requests.get(f"{server.url}/api/v1/meta", timeout=10).json()
    # `patroli serve` makes the server's first key before it answers.
    key_id = meta["evidence_key"]["key_id"]
    dev = FieldDevice.enroll(tmp_path / "a.sqlite3", server.url, server.code_for("ofc.1"))
    report_id = dev.create(incident(narrative="Lima pekerja menyeberang malam hari"))
    pic = tmp_path / "boat.jpg"
    pic.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4)
    attachments.attach(dev.store, report_id, pic, caption="perahu")
    dev.edit(report_id, {"title": "Diubah di lapangan"})
    result = dev.sync()
    assert result.pushed >= 1 and not result.rejected, result

    out = tmp_path / "case.zip"
    exported = patroli("evidence", "export", report_id, "--out", str(out), env=server.env())
    assert exported.returncode == 0, exported.stderr
    with zipfile.ZipFile(out) as archive:
        case = orjson.loads(archive.read("case.json"))
    assert all(r["signature"] for r in case["revisions"])  # every op signed by the phone

    # Verified with no server configured at all.
    verified = patroli("evidence", "verify", str(out), "--server-key", key_id, env={})
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.splitlines()[0] == "verified"

    wrong_key = patroli("evidence", "verify", str(out), "--server-key", "0" * 16, env={})
    assert wrong_key.returncode != 0 and "not one of the keys you named" in wrong_key.stderr

    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(tampered, "w") as dst:
        for name in src.namelist():
            body = src.read(name)
            if name.startswith("attachments/"):
                body = body[:-1] + bytes([body[-1] ^ 1])
            dst.writestr(name, body)
    refused = patroli("evidence", "verify", str(tampered), env={})
    sha = next(iter(case["report"]["attachments"]))
    assert refused.returncode != 0
    assert f"attachment {sha[:4]}… does not match its hash" in refused.stderr
    assert "verified" not in refused.stdout


def test_export_of_an_unknown_report_says_so(server: LiveServer, tmp_path: Path) -> None:
    out = tmp_path / "case.zip"
    proc = patroli(
        "evidence",
        "export",
        "00000000-0000-4000-8000-000000000000",
        "--out",
        str(out),
        env=server.env(),
    )
    assert proc.returncode != 0 and "There is no report" in proc.stderr
    assert not out.exists()
