"""Blobs end to end: a real ``patroli serve``, the uploader, and a link that keeps breaking."""

from __future__ import annotations

import hashlib
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from sync import blob_upload as bu
from sync import hlc as H
from tests.faults.proxy import FaultPlan, FaultProxy
from tests.live import PASSWORD, LiveServer, live_server
from tests.world import incident

pytestmark = pytest.mark.e2e

POSTS = {"NNK": ["ofc.nnk.1", "ofc.nnk.2"], "DUM": ["ofc.dum.1"]}
MAX_BLOB = 8 * 1024 * 1024


@pytest.fixture
def server(tmp_path: Path, backend: str) -> Iterator[LiveServer]:
    """A seeded live server with an 8 MiB blob limit."""
    extra = {"PATROLI_MAX_BLOB_BYTES": str(MAX_BLOB), "PATROLI_SCHEDULER": "0"}
    with live_server(tmp_path, backend, POSTS, extra_env=extra) as live:
        yield live


def enroll(server: LiveServer, officer: str) -> dict[str, str]:
    """Enroll a device for ``officer``; its Authorization header."""
    resp = requests.post(
        server.url + "/api/v1/devices/enroll",
        json={"enrollment_code": server.code_for(officer), "device_name": "phone"},
        timeout=10,
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    return {"Authorization": f"Bearer {body['token']}", "X-Device": body["device_id"]}


def person(server: LiveServer, username: str) -> dict[str, str]:
    """A person's Authorization header."""
    resp = requests.post(
        server.url + "/api/v1/auth/token",
        json={"username": username, "password": PASSWORD},
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['token']}"}


def write_file(directory: Path, size: int, seed: int = 0) -> tuple[Path, str]:
    """A file of deterministic bytes and its sha256."""
    path = directory / f"photo-{seed}.jpg"
    path.write_bytes(hashlib.shake_256(f"photo-{seed}".encode()).digest(size))
    return path, bu.sha256_file(path)


def attach(server: LiveServer, headers: dict[str, str], sha: str, mime: str = "image/jpeg") -> str:
    """Create a report that references ``sha``; its id."""
    report_id = str(uuid.uuid4())
    fields = incident(attachments={sha: {"mime": mime, "bytes": 1, "caption": "boat"}})
    clock = H.tick(None, headers["X-Device"])
    body = {
        "batch_id": str(uuid.uuid4()),
        "changes": [
            {
                "op_id": str(uuid.uuid4()),
                "report_id": report_id,
                "base_rev": None,
                "hlc": str(clock),
                "fields": fields,
            }
        ],
    }
    resp = requests.post(server.url + "/api/v1/sync/push", json=body, headers=headers, timeout=10)
    assert resp.status_code == 200 and resp.json()["results"][0]["status"] == "applied", resp.text
    return report_id


def stored(server: LiveServer) -> list[Path]:
    """Every blob file the server holds."""
    return sorted(p for p in (server.workdir / "blobs" / "objects").rglob("*") if p.is_file())


def leftovers(server: LiveServer) -> list[Path]:
    """Partial uploads and temp files the server holds."""
    root = server.workdir / "blobs"
    return sorted(p for sub in ("partial", "tmp") for p in (root / sub).glob("*"))


def quick_sleep(seconds: float) -> None:
    """Backoff waits, shortened for tests (still real, still bounded)."""
    time.sleep(min(seconds, 0.05))


def test_resumable_upload_through_breaking_link(server: LiveServer, tmp_path: Path) -> None:
    """A 5 MB photo over a link cut four times arrives intact, once, for < 2x its size."""
    device = enroll(server, "ofc.nnk.1")
    path, sha = write_file(tmp_path, 5 * 1024 * 1024)
    size = path.stat().st_size
    cut_sizes = [900_000, 1_300_000, 700_000, 1_000_000]
    seen: list[int] = []

    def plan(_index: int) -> FaultPlan | None:
        # Cut until four cuts happened (a connection may also end normally,
        # e.g. when the server answers 409 without reading a chunk).
        done = proxy.faults
        return FaultPlan(cut_up_after=cut_sizes[done]) if done < len(cut_sizes) else None

    with FaultProxy(server.port, chooser=plan) as proxy, requests.Session() as session:
        result = bu.upload(
            session,
            proxy.url,
            device,
            sha,
            path,
            "image/jpeg",
            progress=lambda done, total: seen.append(done),
            timeout=10,
            max_attempts=6,
            deadline=time.monotonic() + 120,
            sleep=quick_sleep,
        )
        proxy.wait_idle(5)
        sent = proxy.bytes_up
        faults = proxy.faults
    assert result.status == "uploaded" and result.size == size
    assert faults == 4 and result.resumed_from == 0
    assert sent < 2 * size, f"{sent} bytes sent for a {size}-byte file"
    assert seen == sorted(set(seen)) and seen[-1] == size
    (blob,) = stored(server)
    assert blob.name == sha and blob.read_bytes() == path.read_bytes()
    assert leftovers(server) == []


def test_two_devices_same_photo_one_copy_even_concurrently(
    server: LiveServer, tmp_path: Path
) -> None:
    """Two devices uploading the same photo at once both succeed; one copy is stored."""
    a, b = enroll(server, "ofc.nnk.1"), enroll(server, "ofc.dum.1")
    path, sha = write_file(tmp_path, 3 * 1024 * 1024, seed=1)
    results: dict[str, Any] = {}

    def run(name: str, headers: dict[str, str]) -> None:
        with requests.Session() as session:
            try:
                results[name] = bu.upload(
                    session,
                    server.url,
                    headers,
                    sha,
                    path,
                    "image/jpeg",
                    chunk_size=128 * 1024,
                    timeout=10,
                    max_attempts=20,
                    deadline=time.monotonic() + 60,
                    sleep=quick_sleep,
                )
            except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
                results[name] = exc

    threads = [threading.Thread(target=run, args=(n, h)) for n, h in (("a", a), ("b", b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    assert all(isinstance(r, bu.UploadResult) for r in results.values()), results
    assert len(stored(server)) == 1 and stored(server)[0].read_bytes() == path.read_bytes()
    with requests.Session() as session:
        again = bu.upload(session, server.url, b, sha, path, "image/jpeg")
    assert again.status == "already-stored" and again.bytes_sent == 0 and again.requests == 1


def _raw(port: int, request: bytes, wait_s: float = 5.0) -> bytes:
    """Send raw bytes; return the server's first answer (head and body), sending nothing more."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait_s) as sock:
        sock.sendall(request)
        return _answer(sock)


def _answer(sock: socket.socket) -> bytes:
    """One whole answer (head and body) read from ``sock``; what came if it closed first."""
    answer = b""
    while b"\r\n\r\n" not in answer:
        data = sock.recv(65536)
        if not data:
            return answer
        answer += data
    head, _, body = answer.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length and (data := sock.recv(65536)):
        body += data
    return head + b"\r\n\r\n" + body


def test_oversize_answered_before_any_body_byte(server: LiveServer) -> None:
    """A Content-Length over max_blob_bytes gets 413 while the client has sent no body at all."""
    device = enroll(server, "ofc.nnk.1")
    head = (
        f"PUT /api/v1/blobs/{'ab' * 32} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: {device['Authorization']}\r\nContent-Type: image/jpeg\r\n"
        f"Content-Length: {50 * 1024 * 1024}\r\n\r\n"
    ).encode()
    with FaultProxy(server.port) as proxy:
        answer = _raw(proxy.port, head)
        proxy.wait_idle(5)  # the proxy counts a piece after forwarding it
        up = proxy.bytes_up
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"payload-too-large" in answer and b"application/problem+json" in answer
    assert up == len(head)  # the answer came with no body byte sent
    assert leftovers(server) == [] and stored(server) == []


def test_chunk_of_an_oversize_total_is_refused_and_not_kept(server: LiveServer) -> None:
    """A chunk whose Content-Range TOTAL is over max_blob_bytes is 413 once it has arrived
    (the server reads a request whole first); nothing of it is kept."""
    device = enroll(server, "ofc.nnk.1")
    head = (
        f"PUT /api/v1/blobs/{'ab' * 32} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: {device['Authorization']}\r\nContent-Type: image/jpeg\r\n"
        f"Content-Length: 1000\r\nContent-Range: bytes 0-999/{50 * 1024 * 1024}\r\n\r\n"
    ).encode()
    answer = _raw(server.port, head + b"x" * 1000)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"payload-too-large" in answer
    assert leftovers(server) == [] and stored(server) == []


def test_uploader_refusals(server: LiveServer, tmp_path: Path) -> None:
    """Too large, wrong type, wrong hash and a revoked device raise their own exceptions."""
    device = enroll(server, "ofc.dum.1")
    big, big_sha = write_file(tmp_path, MAX_BLOB + 1, seed=2)
    small, small_sha = write_file(tmp_path, 300_000, seed=3)
    with FaultProxy(server.port) as proxy, requests.Session() as session:
        with pytest.raises(bu.BlobTooLarge) as too_large:
            bu.upload(session, proxy.url, device, big_sha, big, "image/jpeg")
        assert too_large.value.status == 413 and proxy.bytes_up < 2 * bu.DEFAULT_CHUNK
        with pytest.raises(bu.UnsupportedType):
            bu.upload(session, proxy.url, device, small_sha, small, "text/html")
        with pytest.raises(bu.HashMismatch) as mismatch:
            bu.upload(session, proxy.url, device, "0" * 64, small, "image/png")
        assert mismatch.value.slug == "hash-mismatch"
    assert stored(server) == [] and leftovers(server) == []
    commander = person(server, "cmd.dum")
    listing = requests.get(server.url + "/api/v1/devices", headers=commander, timeout=10).json()
    (dev,) = listing["devices"]
    resp = requests.post(
        server.url + f"/api/v1/devices/{dev['id']}/revoke", headers=commander, timeout=10
    )
    assert resp.status_code == 200
    with requests.Session() as session, pytest.raises(bu.DeviceRevoked):
        bu.upload(session, server.url, device, small_sha, small, "image/png")


def test_uploader_gives_up_within_its_budget(server: LiveServer, tmp_path: Path) -> None:
    """A link that refuses every connection ends in UploadGaveUp after max_attempts tries."""
    device = enroll(server, "ofc.nnk.1")
    path, sha = write_file(tmp_path, 1000, seed=4)
    waits: list[float] = []
    with FaultProxy(server.port, default=FaultPlan(reject=True)) as proxy:
        with requests.Session() as session, pytest.raises(bu.UploadGaveUp):
            bu.upload(
                session,
                proxy.url,
                device,
                sha,
                path,
                "image/jpeg",
                max_attempts=4,
                sleep=waits.append,
            )
        assert len(proxy.connections) == 4
    assert len(waits) == 3 and waits == sorted(waits) and waits[-1] <= 30


def test_served_with_ranges_and_etag_only_in_scope(server: LiveServer, tmp_path: Path) -> None:
    """Through gunicorn: scope decides; Range → 206 bytes; ETag → 304."""
    device = enroll(server, "ofc.nnk.1")
    path, sha = write_file(tmp_path, 2 * 1024 * 1024, seed=5)
    data = path.read_bytes()
    attach(server, device, sha)
    with requests.Session() as session:
        assert bu.upload(session, server.url, device, sha, path, "image/jpeg").status == "uploaded"
    url = f"{server.url}/api/v1/blobs/{sha}"
    for who in ("cmd.nnk", "hq.1", "admin"):
        resp = requests.get(url, headers=person(server, who), timeout=10)
        assert resp.status_code == 200 and resp.content == data, who
        assert resp.headers["Content-Type"] == "image/jpeg" and resp.headers["ETag"] == f'"{sha}"'
    assert requests.get(url, headers=device, timeout=10).status_code == 200
    other = enroll(server, "ofc.dum.1")
    for headers in (person(server, "cmd.dum"), other, {}):
        assert requests.get(url, headers=headers, timeout=10).status_code in (401, 404)
    cmd = person(server, "cmd.nnk")
    part = requests.get(url, headers={**cmd, "Range": "bytes=1000000-1000999"}, timeout=10)
    assert part.status_code == 206 and part.content == data[1_000_000:1_001_000]
    same = requests.get(url, headers={**cmd, "If-None-Match": f'"{sha}"'}, timeout=10)
    assert same.status_code == 304 and same.content == b""


@pytest.mark.parametrize(
    "segment",
    ["..%2F..%2Fsecret", "%2e%2e", "..", "A" * 64, "a" * 63, "a" * 63 + "%00", "a" * 64 + "%2F.."],
)
def test_path_tricks_over_the_wire(server: LiveServer, segment: str) -> None:
    """Raw request lines with path tricks are refused; nothing is written outside the store."""
    device = enroll(server, "ofc.nnk.1")
    before = {p for p in server.workdir.rglob("*") if "blobs" not in p.parts}
    request = (
        f"PUT /api/v1/blobs/{segment} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        f"Authorization: {device['Authorization']}\r\nContent-Type: image/jpeg\r\n"
        "Content-Length: 5\r\n\r\nhello"
    ).encode()
    answer = _raw(server.port, request)
    status = int(answer.split(b" ", 2)[1])
    assert status in (400, 404), answer[:300]
    after = {p for p in server.workdir.rglob("*") if "blobs" not in p.parts}
    new = {p for p in after - before if not p.name.endswith(("-wal", "-shm", ".log"))}
    assert new == set() and stored(server) == []


def _chunk_head(device: dict[str, str], sha: str, first: int, last: int, total: int) -> bytes:
    return (
        f"PUT /api/v1/blobs/{sha} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: {device['Authorization']}\r\nContent-Type: image/jpeg\r\n"
        f"Content-Length: {last - first + 1}\r\n"
        f"Content-Range: bytes {first}-{last}/{total}\r\n\r\n"
    ).encode()


def test_stalled_upload_keeps_whole_chunks_and_frees_the_connection(
    tmp_path: Path, backend: str
) -> None:
    """A link that goes silent mid-chunk: the server closes the connection after its read
    timeout, keeps the chunks that arrived whole (never part of one), and the device resumes."""
    extra = {"PATROLI_READ_TIMEOUT_S": "1", "PATROLI_SCHEDULER": "0"}
    with live_server(tmp_path, backend, POSTS, extra_env=extra) as server:
        device = enroll(server, "ofc.nnk.1")
        path, sha = write_file(tmp_path, 200_000, seed=6)
        data = path.read_bytes()
        with socket.create_connection(("127.0.0.1", server.port), timeout=15) as sock:
            sock.sendall(_chunk_head(device, sha, 0, 99_999, 200_000) + data[:100_000])
            assert _answer(sock).startswith(b"HTTP/1.1 202"), "first chunk not kept"
            second = _chunk_head(device, sha, 100_000, 199_999, 200_000)
            sock.sendall(second + data[100_000:150_000])
            assert sock.recv(65536) == b""  # closed by the server after 1 s of silence
        resp = requests.head(f"{server.url}/api/v1/blobs/{sha}", headers=device, timeout=10)
        assert resp.status_code == 404 and resp.headers["Upload-Offset"] == "100000"
        with requests.Session() as session:
            result = bu.upload(session, server.url, device, sha, path, "image/jpeg")
        assert result.resumed_from == 100_000 and result.bytes_sent == 100_000
        assert stored(server)[0].read_bytes() == data
