"""The device's HTTP transport: requests with timeouts, retries, gzip and problems.

Shaped like kinto-http's session: every call has a timeout; connection
errors, timeouts, 5xx and 429 are retried with exponential backoff and full
jitter (``Retry-After`` honoured), bounded both in attempts and in total
time; 4xx answers become typed exceptions carrying the problem document.
Retrying a push is safe because every op carries its ``op_id``.
"""

from __future__ import annotations

import errno
import gc
import gzip
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import requests
from urllib3.exceptions import NameResolutionError, NewConnectionError

PROBLEM_PREFIX = "urn:patroli:problem:"
GZIP_MIN_BYTES = 1024


def _decode(content: bytes) -> Any:
    """Parse a JSON answer with the cyclic GC paused.

    A pull page is a couple of megabytes of small dicts; the collector would
    otherwise run dozens of times per page over objects that are all alive.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return orjson.loads(content)
    finally:
        if was_enabled:
            gc.enable()


class TransportError(Exception):
    """The server could not be reached or kept failing; nothing is lost, try later."""


class ServerUnreachable(TransportError):
    """No connection could be opened: refused, no route to the host, or an unknown name."""


_UNREACHABLE_ERRNOS = {
    errno.ECONNREFUSED: "connection refused",
    errno.EHOSTUNREACH: "no route to the host",
    errno.ENETUNREACH: "the network is unreachable",
}


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and what it wraps: requests hides urllib3's error, which hides the OSError."""
    found: list[BaseException] = []
    todo: list[object] = [exc]
    while todo and len(found) < 10:
        current = todo.pop(0)
        if not isinstance(current, BaseException) or current in found:
            continue
        found.append(current)
        todo += [getattr(current, "reason", None), current.__cause__, current.__context__]
        todo += list(current.args)
    return found


def unreachable_cause(exc: BaseException) -> str | None:
    """Why no connection could be made at all, or None if the server may have been reached.

    A connect *timeout* is not here: on a 2G link the server may be up and
    merely slow to answer, which is a different thing to tell the officer.
    """
    if isinstance(exc, requests.Timeout) or not isinstance(exc, requests.ConnectionError):
        return None
    causes = _causes(exc)
    for cause in causes:
        if isinstance(cause, NameResolutionError):
            return "its name could not be resolved"
        if isinstance(cause, OSError) and cause.errno in _UNREACHABLE_ERRNOS:
            return _UNREACHABLE_ERRNOS[cause.errno]
    if any(isinstance(cause, NewConnectionError) for cause in causes):
        return "no connection could be made"
    return None


class ProblemError(Exception):
    """The server answered a 4xx problem; ``slug`` names it (DESIGN §3)."""

    def __init__(self, status: int, problem: dict[str, Any]):
        self.status = status
        self.problem = problem
        kind = str(problem.get("type", ""))
        self.slug = kind.removeprefix(PROBLEM_PREFIX) if kind.startswith(PROBLEM_PREFIX) else ""
        super().__init__(problem.get("detail") or problem.get("title") or f"HTTP {status}")


class DeviceRevoked(ProblemError):
    """This device's token was revoked by a commander."""


class PayloadTooLarge(ProblemError):
    """The request was over a server limit (batch ops or bytes)."""


class CursorExpired(ProblemError):
    """The pull cursor is older than what the server keeps."""


_BY_SLUG = {
    "device-revoked": DeviceRevoked,
    "payload-too-large": PayloadTooLarge,
    "cursor-expired": CursorExpired,
}


def _encode(json_body: Any) -> tuple[bytes | None, dict[str, str]]:
    """The request body and its content headers (gzip above ``GZIP_MIN_BYTES``)."""
    if json_body is None:
        return None, {}
    body = orjson.dumps(json_body)
    headers = {"Content-Type": "application/json"}
    if len(body) >= GZIP_MIN_BYTES:
        body = gzip.compress(body, compresslevel=6)
        headers["Content-Encoding"] = "gzip"
    return body, headers


@dataclass(frozen=True, kw_only=True)
class _Call:
    """One request as every attempt sends it."""

    method: str
    url: str
    body: bytes | None
    headers: dict[str, str]
    params: dict[str, Any] | None
    read_timeout: float


@dataclass(frozen=True, kw_only=True)
class _Failure:
    """Why an attempt brought no answer; the caller retries or gives up."""

    reason: str
    retry_after: str | None = None
    unreachable: str | None = None


@dataclass
class Traffic:
    """Bytes on the wire, as sent and as received (compressed sizes)."""

    sent: int = 0
    received: int = 0
    requests: int = 0
    retries: int = 0


@dataclass
class Transport:
    """HTTP calls to one Patroli server on behalf of one device."""

    base_url: str
    token: str | None = None
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_attempts: int = 6
    max_elapsed: float = 120.0
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    session: requests.Session = field(default_factory=requests.Session)
    traffic: Traffic = field(default_factory=Traffic)
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def auth_headers(self) -> dict[str, str]:
        """The device's Authorization header (for the blob uploader)."""
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Accept": "application/json", "Accept-Encoding": "gzip"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        headers.update(extra or {})
        return headers

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after:
            try:
                return min(float(retry_after), self.backoff_cap)
            except ValueError:
                pass
        # Full jitter: devices that lost the link together do not all come
        # back at the same instant.
        return self.rng.uniform(0, min(self.backoff_cap, self.backoff_base * 2**attempt))

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Send a request, retrying transient failures; return the decoded JSON answer."""
        body, headers = _encode(json_body)
        call = _Call(
            method=method,
            url=self.base_url.rstrip("/") + path,
            body=body,
            headers=self._headers(headers),
            params=params,
            read_timeout=timeout or self.read_timeout,
        )
        started = time.monotonic()
        for attempt in range(self.max_attempts):
            outcome = self._attempt(call)
            if not isinstance(outcome, _Failure):
                return outcome
            delay = self._delay(attempt, outcome.retry_after)
            if (
                attempt + 1 >= self.max_attempts
                or time.monotonic() - started + delay > self.max_elapsed
            ):
                raise self._given_up(outcome)
            self.traffic.retries += 1
            self.sleep(delay)
        raise AssertionError("unreachable")

    def _attempt(self, call: _Call) -> Any:
        """One try: the decoded answer, a ``_Failure`` worth retrying, or a problem raised."""
        try:
            self.traffic.requests += 1
            self.traffic.sent += len(call.body or b"")
            resp = self.session.request(
                call.method,
                call.url,
                data=call.body,
                params=call.params,
                headers=call.headers,
                timeout=(self.connect_timeout, call.read_timeout),
            )
            self.traffic.received += int(resp.headers.get("Content-Length") or len(resp.content))
            if resp.status_code < 400:
                # Every answer of the protocol has a JSON body: an empty
                # one is a response cut off in its headers, not a reply.
                return _decode(resp.content)
            if resp.status_code != 429 and resp.status_code < 500:
                raise self._problem(resp)
        except (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
            ValueError,
        ) as exc:
            # ValueError: a truncated or garbled JSON answer, as good as none.
            return _Failure(reason=type(exc).__name__, unreachable=unreachable_cause(exc))
        return _Failure(
            reason=f"HTTP {resp.status_code}", retry_after=resp.headers.get("Retry-After")
        )

    def _given_up(self, last: _Failure) -> TransportError:
        if last.unreachable:
            return ServerUnreachable(
                f"could not reach the server at {self.base_url}: {last.unreachable}"
            )
        return TransportError(
            f"the server did not answer in time ({last.reason}); "
            "everything stays on the device for the next sync"
        )

    def _problem(self, resp: requests.Response) -> ProblemError:
        try:
            problem = orjson.loads(resp.content)
            if not isinstance(problem, dict):
                raise ValueError
        except ValueError:
            problem = {"title": f"HTTP {resp.status_code}", "detail": resp.text[:200]}
        slug = str(problem.get("type", "")).removeprefix(PROBLEM_PREFIX)
        return _BY_SLUG.get(slug, ProblemError)(resp.status_code, problem)

    def meta(self) -> dict[str, Any]:
        """``GET /meta``: limits and server time."""
        return self.request("GET", "/api/v1/meta")

    def enroll(self, code: str, device_name: str, public_key: str | None = None) -> dict[str, Any]:
        """``POST /devices/enroll`` (with the device's signing key): its id and token."""
        body = {"enrollment_code": code, "device_name": device_name}
        if public_key is not None:
            body["public_key"] = public_key
        return self.request("POST", "/api/v1/devices/enroll", json_body=body)

    def push(self, batch: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """``POST /sync/push`` one batch."""
        return self.request("POST", "/api/v1/sync/push", json_body=batch, timeout=timeout)

    def pull(self, cursor: str | None, limit: int, skip_echo: bool = False) -> dict[str, Any]:
        """``GET /sync/pull`` one page; ``skip_echo`` leaves out this device's applied ops."""
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        if skip_echo:
            params["skip_echo"] = 1
        return self.request("GET", "/api/v1/sync/pull", params=params)
