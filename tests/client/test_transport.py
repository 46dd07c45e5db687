"""The device transport against a faked HTTP adapter: retries, backoff, problems, gzip."""

from __future__ import annotations

import errno
import gzip
import json
from collections.abc import Callable

import pytest
import requests
from requests.adapters import BaseAdapter
from requests.models import PreparedRequest, Response
from urllib3.exceptions import MaxRetryError, NewConnectionError

from patroli.serve_process import free_port
from sync.transport import (
    CursorExpired,
    DeviceRevoked,
    PayloadTooLarge,
    ProblemError,
    ServerUnreachable,
    Transport,
    TransportError,
)

Script = list[Callable[[PreparedRequest], Response] | Exception]


def reply(
    status: int,
    body: object = None,
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
) -> Callable[[PreparedRequest], Response]:
    """A scripted answer."""

    def make(request: PreparedRequest) -> Response:
        resp = Response()
        resp.status_code = status
        resp._content = raw if raw is not None else json.dumps(body).encode()
        resp.headers.update(headers or {})
        resp.request = request
        return resp

    return make


class FakeAdapter(BaseAdapter):
    """Answers requests from a script and records what was sent."""

    def __init__(self, script: Script):
        super().__init__()
        self.script = list(script)
        self.sent: list[PreparedRequest] = []

    def send(self, request: PreparedRequest, **kwargs: object) -> Response:
        """Pop the next scripted answer (or raise the scripted error)."""
        self.sent.append(request)
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step(request)

    def close(self) -> None:
        """Nothing to close."""


def transport(script: Script, **kwargs: object) -> tuple[Transport, FakeAdapter, list[float]]:
    """A transport wired to a fake adapter and a fake sleep."""
    adapter = FakeAdapter(script)
    session = requests.Session()
    session.mount("http://", adapter)
    sleeps: list[float] = []
    t = Transport(
        "http://server.test", token="pd_x", session=session, sleep=sleeps.append, **kwargs
    )
    return t, adapter, sleeps


def problem(slug: str, status: int) -> dict:
    """A problem document."""
    return {
        "type": f"urn:patroli:problem:{slug}",
        "title": slug,
        "status": status,
        "detail": f"{slug} happened",
    }


def test_retries_5xx_then_succeeds() -> None:
    """503 twice, then 200: the answer arrives after two backoff sleeps."""
    t, adapter, sleeps = transport([reply(503, {}), reply(502, {}), reply(200, {"ok": 1})])
    assert t.request("GET", "/x") == {"ok": 1}
    assert len(adapter.sent) == 3 and len(sleeps) == 2
    assert all(0 <= s <= 30 for s in sleeps)
    assert t.traffic.retries == 2


def test_retry_after_is_honoured_on_429() -> None:
    """A 429 with Retry-After: 7 waits 7 seconds before the next try."""
    t, _, sleeps = transport(
        [reply(429, problem("rate-limited", 429), {"Retry-After": "7"}), reply(200, {})]
    )
    t.request("GET", "/x")
    assert sleeps == [7.0]


@pytest.mark.parametrize("error", [requests.ConnectionError("reset"), requests.ReadTimeout("slow")])
def test_connection_errors_retried(error: Exception) -> None:
    """Dropped connections and timeouts are retried."""
    t, adapter, _ = transport([error, reply(200, {"ok": True})])
    assert t.request("POST", "/x", json_body={"a": 1}) == {"ok": True}
    assert len(adapter.sent) == 2


def test_truncated_answer_is_retried() -> None:
    """A response cut mid-JSON counts as no answer and the request is sent again."""
    t, adapter, _ = transport([reply(200, raw=b'{"results": [{"op'), reply(200, {"ok": 2})])
    assert t.request("POST", "/x", json_body={}) == {"ok": 2}


def test_attempts_are_bounded() -> None:
    """After max_attempts failures a TransportError says nothing is lost."""
    t, adapter, sleeps = transport([reply(500, {})] * 3, max_attempts=3)
    with pytest.raises(TransportError, match="stays on the device"):
        t.request("GET", "/x")
    assert len(adapter.sent) == 3 and len(sleeps) == 2


def test_total_time_is_bounded() -> None:
    """A Retry-After longer than the time budget stops retrying at once."""
    t, adapter, _ = transport(
        [reply(503, {}, {"Retry-After": "25"}), reply(200, {})], max_elapsed=10
    )
    with pytest.raises(TransportError):
        t.request("GET", "/x")
    assert len(adapter.sent) == 1


@pytest.mark.parametrize(
    ("slug", "status", "cls"),
    [
        ("device-revoked", 401, DeviceRevoked),
        ("payload-too-large", 413, PayloadTooLarge),
        ("cursor-expired", 410, CursorExpired),
        ("validation-failed", 400, ProblemError),
    ],
)
def test_problems_become_typed_errors(slug: str, status: int, cls: type) -> None:
    """4xx problems are not retried and carry their slug."""
    t, adapter, _ = transport([reply(status, problem(slug, status))])
    with pytest.raises(cls) as info:
        t.request("GET", "/x")
    assert info.value.slug == slug and info.value.status == status
    assert len(adapter.sent) == 1


def test_large_bodies_are_gzipped_with_token() -> None:
    """Bodies over 1 KiB go gzip-compressed, with the bearer token and Accept-Encoding."""
    t, adapter, _ = transport([reply(200, {})])
    t.request("POST", "/api/v1/sync/push", json_body={"text": "x" * 5000})
    sent = adapter.sent[0]
    assert sent.headers["Content-Encoding"] == "gzip"
    assert sent.headers["Authorization"] == "Bearer pd_x"
    assert "gzip" in sent.headers["Accept-Encoding"]
    assert json.loads(gzip.decompress(sent.body))["text"] == "x" * 5000
    assert t.traffic.sent == len(sent.body) < 200


def test_empty_answer_is_retried() -> None:
    """A 200 whose body was cut away entirely is no answer: the request is sent again."""
    t, adapter, _ = transport([reply(200, raw=b""), reply(200, {"ok": 3})])
    assert t.request("POST", "/x", json_body={}) == {"ok": 3}
    assert len(adapter.sent) == 2


def test_refused_connection_is_unreachable_not_a_timeout() -> None:
    """Nothing listening on the port: the error says the server could not be reached."""
    sleeps: list[float] = []
    url = f"http://127.0.0.1:{free_port()}"
    t = Transport(url, max_attempts=2, sleep=sleeps.append)
    with pytest.raises(ServerUnreachable) as info:
        t.meta()
    assert str(info.value) == f"could not reach the server at {url}: connection refused"
    assert t.traffic.requests == 2 and len(sleeps) == 1


def _no_connection(cause: OSError) -> requests.ConnectionError:
    """What requests raises when the socket could not connect, as it nests it."""
    failed = NewConnectionError(None, f"Failed to establish a new connection: {cause}")
    failed.__cause__ = cause
    return requests.ConnectionError(MaxRetryError(None, "/api/v1/meta", failed))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (_no_connection(OSError(errno.EHOSTUNREACH, "No route to host")), "no route to the host"),
        (_no_connection(OSError(errno.ENETUNREACH, "down")), "the network is unreachable"),
        (_no_connection(OSError(errno.EPERM, "odd")), "no connection could be made"),
    ],
)
def test_unreachable_causes_are_named(error: Exception, says: str) -> None:
    """An unreachable host or network is named; other connect failures are unreachable too."""
    t, _, _ = transport([error, error], max_attempts=2)
    with pytest.raises(ServerUnreachable, match=f": {says}$"):
        t.request("GET", "/x")


@pytest.mark.parametrize(
    "error",
    [requests.ConnectionError("Connection reset by peer"), requests.ConnectTimeout("slow")],
)
def test_reset_or_slow_connection_is_not_unreachable(error: Exception) -> None:
    """A dropped answer or a slow connect may be a live server on a bad link: 'did not answer'."""
    t, _, _ = transport([error, error], max_attempts=2)
    with pytest.raises(TransportError, match="did not answer in time") as info:
        t.request("GET", "/x")
    assert not isinstance(info.value, ServerUnreachable)
