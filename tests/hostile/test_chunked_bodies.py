"""A chunked body is read to its real end or refused with 413: never a parsed prefix."""

from __future__ import annotations

import http.client
import io
import json
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
import requests
from flask import Flask

from sync import hlc as H
from tests.hostile.counts import assert_problem, assert_still_serving, live_row_counts, row_counts
from tests.live import LiveServer, live_server
from tests.world import World, incident, new_id

PADDING = 12 << 20  # past the default max_batch_bytes (8 MiB)


class _Dribble(io.RawIOBase):
    """A WSGI input that hands out at most 1,000 bytes per read, as a chunked body does."""

    def __init__(self, data: bytes):
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    # The test client measures a seekable stream; the environ then drops the length.
    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._data.seek(offset, whence)

    def tell(self) -> int:
        return self._data.tell()

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        piece = self._data.read(min(len(buffer), 1000))
        buffer[: len(piece)] = piece
        return len(piece)


# As a chunked request arrives: no Content-Length, the stream ends at the body's end.
_NO_LENGTH = {"wsgi.input_terminated": True, "CONTENT_LENGTH": ""}


def _batch(device_id: str, token: str) -> tuple[bytes, dict[str, str]]:
    op = {
        "op_id": new_id(),
        "report_id": new_id(),
        "base_rev": None,
        "hlc": str(H.tick(None, device_id)),
        "fields": incident(),
    }
    body = orjson.dumps({"batch_id": new_id(), "changes": [op]})
    return body, {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


@pytest.mark.parametrize("prefix", [True, False], ids=["valid-batch-then-spaces", "spaces-only"])
def test_short_reads_are_read_to_the_end(world: World, app: Flask, prefix: bool) -> None:
    """A stream that gives a little per read is still read whole: past the limit it is 413."""
    dev = world.devices["ofc.nnk.1"]
    body = orjson.dumps({"batch_id": new_id(), "changes": [dev.op(new_id(), incident())]})
    data = (body if prefix else b"") + b" " * PADDING
    before = row_counts(app)
    resp = world.client.post(
        "/api/v1/sync/push",
        input_stream=_Dribble(data),
        content_type="application/json",
        headers=dev.headers,
        environ_overrides=_NO_LENGTH,
    )
    assert_problem(resp, 413, "payload-too-large")
    assert row_counts(app) == before
    assert_still_serving(world.client)


def test_short_reads_of_a_small_body_are_joined(world: World, app: Flask) -> None:
    """A valid batch arriving a little per read is applied whole (not cut at the first read)."""
    dev = world.devices["ofc.nnk.1"]
    ops = [dev.op(new_id(), incident(narrative="n" * 3000)) for _ in range(3)]
    body = orjson.dumps({"batch_id": new_id(), "changes": ops})
    assert len(body) > 5000
    resp = world.client.post(
        "/api/v1/sync/push",
        input_stream=_Dribble(body),
        content_type="application/json",
        headers=dev.headers,
        environ_overrides=_NO_LENGTH,
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert [r["status"] for r in resp.get_json()["results"]] == ["applied"] * 3
    assert row_counts(app)["reports"] == 3


def _chunks(data: bytes, size: int = 256 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _chunked_push(server: LiveServer, data: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    """POST ``data`` with Transfer-Encoding: chunked over a real socket; status and JSON body."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        try:
            conn.request(
                "POST",
                "/api/v1/sync/push",
                body=_chunks(data),
                headers=headers,
                encode_chunked=True,
            )
        except (BrokenPipeError, ConnectionResetError):
            pass  # a server may answer and close before the whole body is sent
        resp = conn.getresponse()
        payload = resp.read()
        assert resp.getheader("Content-Type", "").startswith("application/"), payload[:300]
        return resp.status, json.loads(payload)
    finally:
        conn.close()


@pytest.fixture
def server(tmp_path: Path, backend: str) -> Iterator[LiveServer]:
    with live_server(tmp_path, backend, {"NNK": ["ofc.nnk.1"]}) as live:
        yield live


def _device(server: LiveServer) -> tuple[str, str]:
    resp = requests.post(
        f"{server.url}/api/v1/devices/enroll",
        json={"enrollment_code": server.code_for("ofc.nnk.1"), "device_name": "t"},
        timeout=10,
    )
    assert resp.status_code == 201, resp.text
    return resp.json()["device_id"], resp.json()["token"]


@pytest.mark.e2e
def test_chunked_push_through_a_real_server(server: LiveServer) -> None:
    """Chunked: a valid batch plus 12 MiB of spaces and spaces alone are 413; nothing stored;
    a valid chunked batch is still applied."""
    body, headers = _batch(*_device(server))
    before = live_row_counts(server)
    for data in (body + b" " * PADDING, b" " * PADDING):
        status, problem = _chunked_push(server, data, headers)
        assert status == 413, problem
        assert problem["type"] == "urn:patroli:problem:payload-too-large"
        assert live_row_counts(server) == before
    status, answer = _chunked_push(server, body, headers)
    assert status == 200, answer
    assert [r["status"] for r in answer["results"]] == ["applied"]
    assert live_row_counts(server)["reports"] == before["reports"] + 1
    # The access log still has one line per request, the refusals too.
    assert '"POST /api/v1/sync/push HTTP/1.1" 413' in server.log_text()
    assert '"POST /api/v1/sync/push HTTP/1.1" 200' in server.log_text()


@pytest.mark.e2e
def test_bad_chunked_encoding_is_a_problem(server: LiveServer) -> None:
    """A chunk size that is not hex is 400 malformed-body as problem+json; nothing stored."""
    _, token = _device(server)
    before = live_row_counts(server)
    request = (
        "POST /api/v1/sync/push HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
    ).encode()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.connect()
        assert conn.sock is not None
        conn.sock.sendall(request)
        resp = http.client.HTTPResponse(conn.sock)
        resp.begin()
        body = json.loads(resp.read())
    finally:
        conn.close()
    assert resp.status == 400 and resp.getheader("Content-Type") == "application/problem+json"
    assert body["type"] == "urn:patroli:problem:malformed-body" and body["detail"]
    assert live_row_counts(server) == before
