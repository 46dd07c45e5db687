"""The resumable uploader's decisions, against an in-memory server with scripted faults."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import requests
from requests.structures import CaseInsensitiveDict

from sync import blob_upload as bu


def _response(status: int, headers: dict[str, str] | None = None, body: Any = None) -> Any:
    resp = requests.Response()
    resp.status_code = status
    resp.headers = CaseInsensitiveDict(headers or {})
    resp._content = json.dumps(body).encode() if body is not None else b""
    return resp


class FakeServer:
    """Enough of the blob protocol to drive the uploader; ``faults[n]`` breaks request n."""

    def __init__(self, faults: dict[int, Any] | None = None):
        self.data = bytearray()
        self.total: int | None = None
        self.complete = False
        self.faults = faults or {}
        self.calls: list[tuple[str, str | None]] = []

    def request(self, method: str, url: str, timeout: Any = None, **kw: Any) -> Any:
        """Answer one request (or fail it as scripted)."""
        headers = kw.get("headers", {})
        self.calls.append((method, headers.get("Content-Range")))
        fault = self.faults.get(len(self.calls))
        if fault == "refuse":
            raise requests.ConnectionError("refused")
        if isinstance(fault, int):
            return _response(fault, {"Retry-After": "3"}, {"type": "urn:patroli:problem:x"})
        body = kw.get("data")
        if method == "PUT":
            body = body.read()  # the uploader hands requests a file object
        resp = self._head(url) if method == "HEAD" else self._put(url, headers, body)
        if fault == "lost-answer":
            raise requests.ReadTimeout("answer lost")  # committed, but the device never knows
        return resp

    def _head(self, url: str) -> Any:
        if self.complete:
            return _response(200)
        if self.total is None:
            return _response(404)
        return _response(
            404, {"Upload-Offset": str(len(self.data)), "Upload-Length": str(self.total)}
        )

    def _put(self, url: str, headers: dict[str, str], data: bytes) -> Any:
        if self.complete:
            return _response(200)
        first, _, total = (
            headers["Content-Range"].removeprefix("bytes ").replace("/", "-").split("-")
        )
        if self.total is not None and int(total) != self.total:
            self.data, self.total = bytearray(), None  # as the real server: start over
        if int(first) != len(self.data):
            return _response(409, {"Upload-Offset": str(len(self.data))})
        self.total = int(total)
        self.data += data
        if len(self.data) < self.total:
            return _response(202, {"Upload-Offset": str(len(self.data))})
        if hashlib.sha256(self.data).hexdigest() != url.rsplit("/", 1)[1]:
            self.data, self.total = bytearray(), None
            return _response(422, body={"type": "urn:patroli:problem:hash-mismatch"})
        self.complete = True
        return _response(201)


@pytest.fixture
def photo(tmp_path: Path) -> tuple[Path, str]:
    """A 10 000-byte file and its hash."""
    path = tmp_path / "p.jpg"
    path.write_bytes(hashlib.shake_256(b"p").digest(10_000))
    return path, bu.sha256_file(path)


def _upload(server: FakeServer, photo: tuple[Path, str], **kw: Any) -> Any:
    kw.setdefault("sleep", lambda s: None)
    return bu.upload(
        server, "http://x", {}, photo[1], photo[0], "image/jpeg", chunk_size=3000, **kw
    )


def test_faults_of_every_kind_still_complete(photo: tuple[Path, str]) -> None:
    """Refused connection, lost answer, 503 and a stale offset: it finishes, progress moves on."""
    server = FakeServer({2: "refuse", 4: "lost-answer", 6: 503})
    seen: list[int] = []
    result = _upload(server, photo, progress=lambda d, t: seen.append(d))
    assert result.status == "uploaded" and server.complete
    assert bytes(server.data) == photo[0].read_bytes()
    assert seen == sorted(set(seen)) and seen[-1] == 10_000
    # after every failure the uploader asked the server (HEAD) before sending again
    for n in server.faults:
        assert server.calls[n][0] == "HEAD"  # call n+1, right after the failed call n
    assert result.requests == len(server.calls)


def test_already_stored_is_one_head(photo: tuple[Path, str]) -> None:
    """A blob the server has costs one HEAD and no body bytes."""
    server = FakeServer()
    server.complete = True
    result = _upload(server, photo)
    assert (result.status, result.requests, result.bytes_sent) == ("already-stored", 1, 0)


def test_resumes_from_server_offset(photo: tuple[Path, str]) -> None:
    """A partial upload resumes at the server's offset, and only the rest is sent."""
    server = FakeServer()
    server.data, server.total = bytearray(photo[0].read_bytes()[:6000]), 10_000
    result = _upload(server, photo)
    assert result.resumed_from == 6000 and result.bytes_sent == 4000
    assert server.calls[1] == ("PUT", "bytes 6000-8999/10000")


def test_foreign_partial_restarts_from_zero(photo: tuple[Path, str]) -> None:
    """A partial with another declared length is not resumed."""
    server = FakeServer()
    server.data, server.total = bytearray(b"x" * 500), 99_999
    server.faults = {}
    _upload(server, photo)
    assert server.calls[1] == ("PUT", "bytes 0-2999/10000")


def test_gives_up_after_attempts_and_honours_retry_after(photo: tuple[Path, str]) -> None:
    """Failures without progress are bounded; Retry-After is respected as a minimum wait."""
    server = FakeServer({n: 503 for n in range(1, 50)})
    waits: list[float] = []
    with pytest.raises(bu.UploadGaveUp):
        _upload(server, photo, max_attempts=3, sleep=waits.append)
    assert len(server.calls) == 3 and len(waits) == 2 and min(waits) >= 3


def test_deadline_stops_new_requests(photo: tuple[Path, str]) -> None:
    """No request starts after the deadline."""
    now = [0.0]
    server = FakeServer({n: "refuse" for n in range(1, 50)})

    def sleep(seconds: float) -> None:
        now[0] += seconds

    with pytest.raises(bu.UploadGaveUp, match="deadline"):
        _upload(server, photo, max_attempts=100, deadline=5.0, clock=lambda: now[0], sleep=sleep)
    assert now[0] <= 5.0 and len(server.calls) < 100


@pytest.mark.parametrize(
    ("status", "headers", "body", "error"),
    [
        (413, {}, {"type": "urn:patroli:problem:payload-too-large"}, bu.BlobTooLarge),
        (415, {}, {"type": "urn:patroli:problem:unsupported-media-type"}, bu.UnsupportedType),
        (401, {}, {"type": "urn:patroli:problem:device-revoked"}, bu.DeviceRevoked),
        (
            401,
            {"WWW-Authenticate": 'Bearer error_description="device-revoked"'},
            None,
            bu.DeviceRevoked,
        ),
        (401, {"WWW-Authenticate": "Bearer"}, None, bu.Unauthorized),
        (403, {}, {"type": "urn:patroli:problem:forbidden"}, bu.UploadRefused),
    ],
)
def test_refusals_raise_their_class(
    photo: tuple[Path, str], status: int, headers: dict, body: Any, error: type
) -> None:
    """A 4xx answer raises at once, as the class that names it, without retrying."""

    class Refusing(FakeServer):
        def request(self, method: str, url: str, timeout: Any = None, **kw: Any) -> Any:
            self.calls.append((method, None))
            return _response(status, headers, body)

    server = Refusing()
    with pytest.raises(error) as exc:
        _upload(server, photo)
    assert exc.value.status == status and len(server.calls) == 1


def test_hash_mismatch(photo: tuple[Path, str]) -> None:
    """Bytes that do not match the name → HashMismatch once the last chunk is in."""
    server = FakeServer()
    with pytest.raises(bu.HashMismatch):
        bu.upload(server, "http://x", {}, "0" * 64, photo[0], "image/jpeg", chunk_size=4000)
    assert len(server.calls) == 4


def test_empty_file_goes_whole(tmp_path: Path) -> None:
    """A zero-byte file is one PUT without Content-Range."""
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    sent: list[dict[str, str]] = []

    class Whole(FakeServer):
        def _put(self, url: str, headers: dict[str, str], data: bytes) -> Any:
            sent.append(headers)
            return _response(201)

    result = bu.upload(Whole(), "http://x", {}, bu.sha256_file(path), path, "application/pdf")
    assert result.status == "uploaded" and "Content-Range" not in sent[0]


@pytest.mark.parametrize("bad", ["A" * 64, "a" * 63, "../x"])
def test_bad_hash_is_a_value_error(photo: tuple[Path, str], bad: str) -> None:
    """The name is checked before any request."""
    with pytest.raises(ValueError):
        bu.upload(FakeServer(), "http://x", {}, bad, photo[0], "image/jpeg")


class SlowLink:
    """A clock that a PUT moves forward by its bytes over ``rate`` plus one round trip."""

    def __init__(self, server: FakeServer, rate: float, rtt: float = 0.6):
        """Wrap ``server``; time starts at 0."""
        self.server, self.rate, self.rtt, self.now = server, rate, rtt, 0.0
        self.sizes: list[int] = []

    def clock(self) -> float:
        """The link's time."""
        return self.now

    def request(self, method: str, url: str, **kw: Any) -> Any:
        """Pass the request on, after spending the time it takes on this link."""
        self.now += self.rtt
        if method == "PUT":
            size = len(kw["data"].getvalue())
            self.sizes.append(size)
            self.now += size / self.rate
        return self.server.request(method, url, **kw)


@pytest.mark.parametrize(
    ("rate", "expect"),
    [
        (3_750, (20_000, 40_000)),  # 30 kbit/s: about 8 s of link per chunk
        (50_000_000, (bu.MAX_CHUNK, bu.MAX_CHUNK)),  # loopback: the cap
        (500, (bu.MIN_CHUNK, bu.MIN_CHUNK)),  # 4 kbit/s: the floor
    ],
)
def test_chunks_fit_the_link(tmp_path: Path, rate: float, expect: tuple[int, int]) -> None:
    """Without a fixed chunk size, chunks settle at ~8 s of the link, within the bounds."""
    path = tmp_path / "big.jpg"
    path.write_bytes(hashlib.shake_256(b"big").digest(6_000_000 if rate > 1e6 else 600_000))
    link = SlowLink(FakeServer(), rate)
    result = bu.upload(
        link, "http://x", {}, bu.sha256_file(path), path, "image/jpeg", clock=link.clock
    )
    assert result.status == "uploaded"
    assert link.sizes[0] == bu.DEFAULT_CHUNK
    settled = link.sizes[4:-1]  # after a few chunks, before the short last one
    assert settled and all(expect[0] <= size <= expect[1] for size in settled), link.sizes


def test_a_failure_halves_an_adaptive_chunk(tmp_path: Path) -> None:
    """A broken PUT makes the next chunk smaller (never below the floor)."""
    path = tmp_path / "mid.jpg"
    path.write_bytes(hashlib.shake_256(b"mid").digest(300_000))
    server = FakeServer({2: "refuse"})
    link = SlowLink(server, 1_000_000, rtt=0.0)
    bu.upload(
        link,
        "http://x",
        {},
        bu.sha256_file(path),
        path,
        "image/jpeg",
        clock=link.clock,
        sleep=lambda s: None,
    )
    assert link.sizes[0] == bu.DEFAULT_CHUNK and link.sizes[1] == bu.DEFAULT_CHUNK // 2
