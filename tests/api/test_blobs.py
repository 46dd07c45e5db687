"""Blobs over the Flask test client: upload, resume, refusals, scope, ranges, the index."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.hostile.counts import assert_problem, database_state
from tests.world import DeviceAPI, World

JPEG = "image/jpeg"


def content(size: int, seed: int = 0) -> tuple[bytes, str]:
    """Deterministic bytes of ``size`` and their sha256."""
    data = hashlib.shake_256(f"blob-{seed}".encode()).digest(size)
    return data, hashlib.sha256(data).hexdigest()


def url(sha: str) -> str:
    """The blob's API path."""
    return f"/api/v1/blobs/{sha}"


def put(dev: DeviceAPI, sha: str, data: bytes, mime: str = JPEG, **headers: str) -> Any:
    """PUT bytes as ``dev``."""
    return dev.client.put(
        url(sha), data=data, headers={**dev.headers, "Content-Type": mime, **headers}
    )


def put_chunk(dev: DeviceAPI, sha: str, data: bytes, first: int, last: int) -> Any:
    """PUT ``data[first:last+1]`` with a Content-Range."""
    return put(
        dev, sha, data[first : last + 1], **{"Content-Range": f"bytes {first}-{last}/{len(data)}"}
    )


def fetch(client: Any, sha: str, headers: dict[str, str]) -> Any:
    """GET a blob; buffered, so the served file is closed as a real server would."""
    return client.get(url(sha), headers=headers, buffered=True)


def attach(dev: DeviceAPI, report_id: str, *hashes: str, mime: str = JPEG) -> None:
    """Reference the hashes from the report's attachments."""
    fields = {f"attachments.{h}": {"mime": mime, "bytes": 1, "caption": "boat"} for h in hashes}
    (result,) = dev.push(dev.op(report_id, fields, base_rev=dev.revs[report_id]))
    assert result["status"] == "applied", result


def objects(app: Flask) -> list[Path]:
    """Every stored blob file."""
    return sorted(
        p for p in (Path(app.config["PATROLI_BLOB_DIR"]) / "objects").rglob("*") if p.is_file()
    )


def leftovers(app: Flask) -> list[str]:
    """Files in partial/ and tmp/."""
    root = Path(app.config["PATROLI_BLOB_DIR"])
    return sorted(p.name for sub in ("partial", "tmp") for p in (root / sub).glob("*"))


def assert_stored(app: Flask, sha: str, data: bytes) -> None:
    """The blob named ``sha`` is on disk with exactly ``data``; no partial or temp file left."""
    (stored,) = [p for p in objects(app) if p.name == sha]
    assert stored.read_bytes() == data
    assert leftovers(app) == []


class CountingStream:
    """A request body that counts how often the server reads it."""

    def __init__(self, size: int):
        self.size, self.pos, self.reads = size, 0, 0

    def tell(self) -> int:
        """Position (the test client measures the body with tell/seek)."""
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        """Move without reading."""
        self.pos = self.size + offset if whence == 2 else offset
        return self.pos

    def read(self, n: int = -1) -> bytes:
        """Hand out filler bytes, counting the call."""
        self.reads += 1
        n = self.size - self.pos if n < 0 else min(n, self.size - self.pos)
        self.pos += n
        return b"x" * n


def test_whole_put_then_again_then_head(app: Flask, world: World) -> None:
    """A whole body is stored once: 201, then 200; HEAD answers 200 with its size."""
    dev = world.devices["ofc.nnk.1"]
    data, sha = content(70_000)
    first = put(dev, sha, data)
    assert first.status_code == 201, first.get_json()
    assert first.get_json() == {"sha256": sha, "bytes": 70_000, "complete": True}
    assert put(dev, sha, data).status_code == 200
    head = dev.client.head(url(sha), headers=dev.headers)
    assert head.status_code == 200 and head.headers["Content-Length"] == "70000"
    (stored,) = objects(app)
    assert stored.name == sha and stored.read_bytes() == data
    assert leftovers(app) == []


def test_resumable_chunks_and_partial_head(app: Flask, world: World) -> None:
    """Chunks answer 202 with Upload-Offset; HEAD of the partial is 404 with it; the last is 201."""
    dev = world.devices["ofc.nnk.1"]
    data, sha = content(10_000, 1)
    resp = put_chunk(dev, sha, data, 0, 3999)
    assert resp.status_code == 202 and resp.headers["Upload-Offset"] == "4000"
    head = dev.client.head(url(sha), headers=dev.headers)
    assert head.status_code == 404
    assert head.headers["Upload-Offset"] == "4000" and head.headers["Upload-Length"] == "10000"
    resp = put_chunk(dev, sha, data, 4000, 7999)
    assert resp.status_code == 202 and resp.get_json()["offset"] == 8000
    resp = put_chunk(dev, sha, data, 8000, 9999)
    assert resp.status_code == 201 and resp.headers["Upload-Offset"] == "10000"
    assert objects(app)[0].read_bytes() == data and leftovers(app) == []
    assert put_chunk(dev, sha, data, 0, 9999).status_code == 200


@pytest.mark.parametrize("first", [0, 1000, 6000])
def test_chunk_not_at_committed_offset_is_409_unread(app: Flask, world: World, first: int) -> None:
    """A chunk away from the committed offset → 409 + Upload-Offset, its body never read."""
    dev = world.devices["ofc.nnk.1"]
    data, sha = content(10_000, 2)
    assert put_chunk(dev, sha, data, 0, 4999).status_code == 202
    if first == 0:
        first = 1  # 0 is not the committed offset either once 5000 bytes are in
    body = CountingStream(1000)
    resp = dev.client.put(
        url(sha),
        input_stream=body,
        headers={
            **dev.headers,
            "Content-Type": JPEG,
            "Content-Length": "1000",
            "Content-Range": f"bytes {first}-{first + 999}/10000",
        },
    )
    assert resp.status_code == 409, resp.get_json()
    assert resp.headers["Upload-Offset"] == "5000" and resp.get_json()["upload_offset"] == 5000
    assert body.reads == 0
    assert dev.client.head(url(sha), headers=dev.headers).headers["Upload-Offset"] == "5000"


def test_whole_hash_mismatch_refused_and_nothing_kept(app: Flask, world: World) -> None:
    """A body that is not its name → 422 hash-mismatch; nothing stored, no temp left."""
    dev = world.devices["ofc.nnk.1"]
    data, _ = content(5000, 3)
    _, other = content(5000, 4)
    resp = put(dev, other, data)
    assert resp.status_code == 422
    assert resp.get_json()["type"] == "urn:patroli:problem:hash-mismatch"
    assert objects(app) == [] and leftovers(app) == []


def test_chunked_hash_mismatch_discards_partial(app: Flask, world: World) -> None:
    """A resumable upload that completes with the wrong content → 422 and the partial is gone."""
    dev = world.devices["ofc.nnk.1"]
    data, sha = content(8000, 5)
    bad = data[:4000] + bytes(4000)
    assert put_chunk(dev, sha, bad, 0, 3999).status_code == 202
    resp = put_chunk(dev, sha, bad, 4000, 7999)
    assert resp.status_code == 422 and resp.get_json()["title"]
    head = dev.client.head(url(sha), headers=dev.headers)
    assert head.status_code == 404 and "Upload-Offset" not in head.headers
    assert objects(app) == [] and leftovers(app) == []
    assert put(dev, sha, data).status_code == 201
    assert_stored(app, sha, data)


@pytest.mark.parametrize("how", ["content-length", "content-range"])
def test_oversize_refused_before_reading(app: Flask, world: World, how: str) -> None:
    """A declared size over max_blob_bytes → 413 without reading a byte of the body."""
    app.config["PATROLI_MAX_BLOB_BYTES"] = 1000
    dev = world.devices["ofc.nnk.1"]
    _, sha = content(10, 6)
    body = CountingStream(2000)
    headers = {**dev.headers, "Content-Type": JPEG}
    if how == "content-length":
        headers["Content-Length"] = "2000"
    else:
        body = CountingStream(500)
        headers.update({"Content-Length": "500", "Content-Range": "bytes 0-499/2000"})
    resp = dev.client.put(url(sha), input_stream=body, headers=headers)
    assert resp.status_code == 413
    assert resp.get_json()["type"] == "urn:patroli:problem:payload-too-large"
    assert body.reads == 0 and objects(app) == [] and leftovers(app) == []


def test_oversize_blob_is_allowed_past_the_batch_limit(app: Flask, world: World) -> None:
    """Blobs have their own limit: a blob bigger than max_batch_bytes is accepted."""
    app.config["PATROLI_MAX_BATCH_BYTES"] = app.config["MAX_CONTENT_LENGTH"] = 10_000
    dev = world.devices["ofc.nnk.1"]
    data, sha = content(50_000, 7)
    assert put(dev, sha, data).status_code == 201
    assert_stored(app, sha, data)


@pytest.mark.parametrize(
    ("mime", "extra"),
    [
        ("text/plain", {}),
        ("application/octet-stream", {}),
        ("", {}),
        ("imagex/jpeg", {}),
        ("text/html; charset=utf-8", {}),
        (JPEG, {"Content-Encoding": "gzip"}),
    ],
)
def test_wrong_type_refused(app: Flask, world: World, mime: str, extra: dict[str, str]) -> None:
    """Only images and PDF, sent as they are → else 415."""
    dev = world.devices["ofc.nnk.1"]
    data, sha = content(100, 8)
    resp = put(dev, sha, data, mime=mime, **extra)
    assert resp.status_code == 415
    assert resp.get_json()["type"] == "urn:patroli:problem:unsupported-media-type"
    assert objects(app) == [] and leftovers(app) == []


@pytest.mark.parametrize("mime", ["application/pdf", "image/png", "image/heic"])
def test_allowed_types(app: Flask, world: World, mime: str) -> None:
    """PDF and any image type are accepted."""
    data, sha = content(100, 9)
    assert put(world.devices["ofc.nnk.1"], sha, data, mime=mime).status_code == 201
    assert_stored(app, sha, data)


TRICKS = [
    "..",
    "%2e%2e",
    "%2E%2E%2Fobjects",
    "..%2F..%2Fetc%2Fpasswd",
    "a" * 63,
    "a" * 65,
    "A" * 64,
    "0" * 63 + "%00",
    "%00" + "0" * 63,
    "0" * 62 + "%2F0",
    "0" * 63 + "g",
    " " + "0" * 63,
]


@pytest.mark.parametrize("segment", TRICKS)
def test_path_tricks_in_hash_segment(app: Flask, world: World, segment: str) -> None:
    """Anything but 64 lowercase hex is refused (400/404) and nothing is written anywhere."""
    dev = world.devices["ofc.nnk.1"]
    root = Path(app.config["PATROLI_BLOB_DIR"])
    before = sorted(root.parent.rglob("*"))
    path = f"/api/v1/blobs/{segment}"
    resp = dev.client.put(path, data=b"x" * 10, headers={**dev.headers, "Content-Type": JPEG})
    assert resp.status_code in (400, 404) and resp.mimetype == "application/problem+json"
    for method, headers in (("get", world.token("hq.1")), ("head", dev.headers)):
        # 400 for a NUL anywhere in the input (refused at the door), else 404.
        assert getattr(dev.client, method)(path, headers=headers).status_code in (400, 404)
    after = sorted(p for p in root.parent.rglob("*") if not p.name.endswith(("-wal", "-shm")))
    assert [p for p in after if p not in before and p.parent.name not in ("blobs",)] == []
    assert objects(app) == []


def _shared_report(world: World, size: int = 3000) -> tuple[str, bytes, str]:
    dev = world.devices["ofc.nnk.1"]
    report_id, _ = dev.create()
    data, sha = content(size, 10)
    attach(dev, report_id, sha)
    assert put(dev, sha, data).status_code == 201
    return report_id, data, sha


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("ofc.nnk.1", 200),
        ("ofc.nnk.2", 200),
        ("cmd.nnk", 200),
        ("hq.1", 200),
        ("admin", 200),
        ("ofc.dum.1", 404),
        ("cmd.dum", 404),
        (None, 401),
    ],
)
def test_get_only_within_scope(app: Flask, world: World, who: str | None, status: int) -> None:
    """GET serves the blob to the owner post's people, HQ and admin; others get 404 or 401."""
    _, data, sha = _shared_report(world)
    if who is None:
        headers = {}
    elif who in world.devices:
        headers = world.devices[who].headers
    else:
        headers = world.token(who)
    resp = fetch(world.client, sha, headers)
    assert resp.status_code == status
    if status == 200:
        assert resp.data == data and resp.mimetype == JPEG
        assert resp.headers["ETag"] == f'"{sha}"'
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in resp.headers["Content-Security-Policy"]
        assert resp.headers["Accept-Ranges"] == "bytes"
    if status == 404:
        # Out of scope reads exactly like an unknown hash.
        unknown = world.client.get(url("0" * 64), headers=headers)
        assert unknown.status_code == 404 and unknown.get_json() == resp.get_json()
        head = world.client.head(url(sha), headers=headers)
        assert head.status_code == (200 if who in world.devices else 404)


def test_etag_304_and_ranges(app: Flask, world: World) -> None:
    """If-None-Match with the hash → 304; Range → 206 with exactly those bytes; bad range → 416."""
    _, data, sha = _shared_report(world, 5000)
    headers = world.token("cmd.nnk")
    resp = fetch(world.client, sha, {**headers, "If-None-Match": f'"{sha}"'})
    assert resp.status_code == 304 and resp.data == b""
    resp = fetch(world.client, sha, {**headers, "Range": "bytes=100-199"})
    assert resp.status_code == 206 and resp.data == data[100:200]
    assert resp.headers["Content-Range"] == "bytes 100-199/5000"
    resp = fetch(world.client, sha, {**headers, "Range": "bytes=-10"})
    assert resp.status_code == 206 and resp.data == data[-10:]
    resp = fetch(world.client, sha, {**headers, "Range": "bytes=9000-9999"})
    assert resp.status_code == 416 and resp.mimetype == "application/problem+json"


def test_who_may_upload(app: Flask, world: World) -> None:
    """People cannot upload (403); an unauthenticated caller gets 401; a revoked device 401."""
    data, sha = content(100, 11)
    headers = {"Content-Type": JPEG}
    person = world.token("cmd.nnk")
    before = database_state(app)
    resp = world.client.put(url(sha), data=data, headers={**headers, **person})
    assert_problem(resp, 403, "forbidden")
    assert_problem(world.client.put(url(sha), data=data, headers=headers), 401, "unauthorized")
    assert database_state(app) == before
    assert objects(app) == [] and leftovers(app) == []
    dev = world.devices["ofc.dum.1"]
    revoke = world.client.post(
        f"/api/v1/devices/{dev.device_id}/revoke", headers=world.token("cmd.dum")
    )
    assert revoke.status_code == 200
    resp = put(dev, sha, data)
    assert resp.status_code == 401
    assert resp.get_json()["type"] == "urn:patroli:problem:device-revoked"
    head = dev.client.head(url(sha), headers=dev.headers)
    assert head.status_code == 401 and "device-revoked" in head.headers["WWW-Authenticate"]
    assert objects(app) == []


def test_two_devices_same_photo_stored_once(app: Flask, world: World) -> None:
    """Two devices of different posts attach the same photo: stored once, served to both posts."""
    data, sha = content(20_000, 12)
    nnk, dum = world.devices["ofc.nnk.1"], world.devices["ofc.dum.1"]
    for dev in (nnk, dum):
        report_id, _ = dev.create()
        attach(dev, report_id, sha)
    assert put(nnk, sha, data).status_code == 201
    assert dum.client.head(url(sha), headers=dum.headers).status_code == 200
    assert put(dum, sha, data).status_code == 200
    assert len(objects(app)) == 1
    for person in ("cmd.nnk", "cmd.dum"):
        assert fetch(world.client, sha, world.token(person)).data == data


def test_missing_blobs_in_report_view_and_index(app: Flask, world: World) -> None:
    """The report view lists referenced hashes not uploaded yet; removing one unreferences it."""
    dev = world.devices["ofc.nnk.1"]
    report_id, _ = dev.create()
    (a, sha_a), (_, sha_b) = content(100, 13), content(200, 14)
    attach(dev, report_id, sha_a, sha_b)
    assert world.report(report_id)["missing_blobs"] == sorted([sha_a, sha_b])
    assert put(dev, sha_a, a).status_code == 201
    assert world.report(report_id)["missing_blobs"] == [sha_b]
    assert "missing_blobs" not in world.report(report_id)["report"]
    cmd = world.token("cmd.nnk")
    served = fetch(world.client, sha_a, cmd)
    assert served.status_code == 200 and served.data == a
    (result,) = dev.push(dev.op(report_id, {f"attachments.{sha_a}": None}, dev.revs[report_id]))
    assert result["status"] == "applied"
    assert fetch(world.client, sha_a, cmd).status_code == 404
    assert world.report(report_id)["missing_blobs"] == [sha_b]


def test_attachment_in_creation_op_is_indexed(app: Flask, world: World) -> None:
    """A report created with its attachments map references them at once."""
    from tests.world import incident

    dev = world.devices["ofc.nnk.1"]
    data, sha = content(300, 15)
    report_id, result = dev.create(
        incident(attachments={sha: {"mime": "application/pdf", "bytes": 300}})
    )
    assert result["status"] == "applied"
    assert world.report(report_id)["missing_blobs"] == [sha]
    assert put(dev, sha, data, mime="application/pdf").status_code == 201
    resp = fetch(world.client, sha, world.token("hq.1"))
    assert resp.status_code == 200 and resp.mimetype == "application/pdf" and resp.data == data


@pytest.mark.parametrize(
    "content_range",
    ["bytes 5-4/10", "bytes 0-10/10", "bytes=0-4/10", "bytes 0-4/*", "bytes */10", "0-4/10"],
)
def test_malformed_content_range(app: Flask, world: World, content_range: str) -> None:
    """A Content-Range that is not 'bytes a-b/total' with a <= b < total → 400."""
    dev = world.devices["ofc.nnk.1"]
    _, sha = content(10, 16)
    resp = put(dev, sha, b"x" * 5, **{"Content-Range": content_range})
    assert resp.status_code == 400 and "Content-Range" in resp.get_json()["errors"]


def test_chunk_length_must_match_range(app: Flask, world: World) -> None:
    """Content-Length and Content-Range disagreeing → 400, nothing committed."""
    dev = world.devices["ofc.nnk.1"]
    _, sha = content(10, 17)
    resp = put(dev, sha, b"x" * 4, **{"Content-Range": "bytes 0-4/10"})
    assert resp.status_code == 400 and resp.get_json()["errors"] == {
        "Content-Length": ["must be 5"]
    }
    assert dev.client.head(url(sha), headers=dev.headers).headers.get("Upload-Offset") is None


def test_short_body_commits_what_arrived(app: Flask, world: World) -> None:
    """A chunk body that ends early keeps the bytes that came, and says where to resume."""
    dev = world.devices["ofc.nnk.1"]
    data, sha = content(1000, 18)

    class Cut(CountingStream):
        """Hands out 300 bytes of the chunk, then the link is gone."""

        def read(self, n: int = -1) -> bytes:
            """The chunk's bytes up to 300, then an error."""
            if self.pos >= 300:
                raise ConnectionResetError("link lost")
            chunk = data[self.pos : min(300, self.pos + n)]
            self.pos += len(chunk)
            return chunk

    resp = dev.client.put(
        url(sha),
        input_stream=Cut(1000),
        headers={
            **dev.headers,
            "Content-Type": JPEG,
            "Content-Length": "1000",
            "Content-Range": "bytes 0-999/1000",
        },
    )
    assert resp.status_code == 400 and resp.headers["Upload-Offset"] == "300"
    assert put_chunk(dev, sha, data, 300, 999).status_code == 201
    assert objects(app)[0].read_bytes() == data


def test_blob_cleanup_job(app: Flask, world: World) -> None:
    """The job drops idle partial uploads only, and counts blobs no report references."""
    from server.jobs.catalog import default_registry

    dev = world.devices["ofc.nnk.1"]
    (old, sha_old), (fresh, sha_fresh) = content(1000, 19), content(1000, 20)
    (orphan, sha_orphan), (used, sha_used) = content(50, 21), content(60, 22)
    for data, sha in ((old, sha_old), (fresh, sha_fresh)):
        assert put_chunk(dev, sha, data, 0, 499).status_code == 202
    assert put(dev, sha_orphan, orphan).status_code == 201
    report_id, _ = dev.create()
    attach(dev, report_id, sha_used)
    assert put(dev, sha_used, used).status_code == 201
    part = Path(app.config["PATROLI_BLOB_DIR"]) / "partial" / f"{sha_old}.part"
    stale = part.stat().st_mtime - 49 * 3600
    os.utime(part, (stale, stale))
    assert "blob-cleanup" in default_registry().names()
    summary = default_registry().run(app, "blob-cleanup", force=True)
    assert summary == {
        "partials_removed": 1,
        "partial_bytes_removed": 500,
        "temp_files_removed": 0,
        "blobs": 2,
        "unreferenced_blobs": 1,
        "unreferenced_bytes": 50,
    }
    assert "Upload-Offset" not in dev.client.head(url(sha_old), headers=dev.headers).headers
    fresh_head = dev.client.head(url(sha_fresh), headers=dev.headers)
    assert fresh_head.headers["Upload-Offset"] == "500"
    assert len(objects(app)) == 2
