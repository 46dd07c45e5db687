"""Resumable upload of one blob (photo, document scan) for a device's sync engine.

The protocol is DESIGN §3 "Blobs": ``HEAD`` tells whether the server has the
blob (200: skip it) or how much of it (404 with ``Upload-Offset``); chunks
go up as ``PUT`` with ``Content-Range`` and each answer names the committed
offset.  After any connection error, timeout, 5xx or 409 the uploader asks
the server again where to resume (it never guesses), and waits with
exponential backoff and jitter.  It gives up after ``max_attempts``
failures in a row without progress, or at ``deadline``; a failure that made
progress resets the count, so a link that breaks every few hundred
kilobytes still finishes.  The device keeps its copy until this returns:
that is what makes "no photo lost" hold on the device side.

No Flask, no database: a ``requests.Session`` and a file path.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

# Chunk sizes adapt to the link: each PUT should take about CHUNK_SECONDS,
# so a reset on a 30 kbit/s link loses seconds, not minutes, while a fast
# link is not slowed by round trips.  DEFAULT_CHUNK is the first guess.
DEFAULT_CHUNK = 64 * 1024
MIN_CHUNK, MAX_CHUNK = 16 * 1024, 1024 * 1024
CHUNK_SECONDS = 8.0
_SHA256 = re.compile(r"[0-9a-f]{64}")
_BACKOFF_BASE_S = 0.5
_BACKOFF_CAP_S = 30.0

Progress = Callable[[int, int], None]


class BlobUploadError(Exception):
    """Base of every upload failure; ``status``/``slug`` come from the server when it answered."""

    def __init__(self, message: str, status: int | None = None, slug: str | None = None):
        super().__init__(message)
        self.status, self.slug = status, slug


class UploadGaveUp(BlobUploadError):
    """Transient failures went on past ``max_attempts`` or ``deadline``: try again later."""


class UploadRefused(BlobUploadError):
    """The server refused the upload (4xx); sending the same bytes again will not help."""


class HashMismatch(UploadRefused):
    """The file's bytes do not hash to the name it was sent under (changed since hashing?)."""


class BlobTooLarge(UploadRefused):
    """The file is over the server's ``max_blob_bytes``."""


class UnsupportedType(UploadRefused):
    """The media type is not an image type or application/pdf."""


class DeviceRevoked(UploadRefused):
    """This device has been revoked; the officer must ask for a new enrollment."""


class Unauthorized(UploadRefused):
    """The token was not accepted."""


@dataclass(frozen=True)
class UploadResult:
    """How an upload ended: ``status`` is ``"already-stored"`` or ``"uploaded"``."""

    sha256: str
    size: int
    status: str
    requests: int
    bytes_sent: int
    resumed_from: int


def sha256_file(path: str | os.PathLike[str], block: int = 1024 * 1024) -> str:
    """The sha256 (lowercase hex) of a file's bytes: the blob's name."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while data := f.read(block):
            digest.update(data)
    return digest.hexdigest()


class _Transient(Exception):
    """A failure worth retrying after asking the server where to resume."""

    def __init__(self, reason: str, offset: int | None = None, retry_after: float = 0.0):
        super().__init__(reason)
        self.offset, self.retry_after = offset, retry_after


def _problem_slug(resp: requests.Response) -> str | None:
    try:
        kind = resp.json().get("type", "")
    except ValueError:
        return None
    return kind.rsplit(":", 1)[-1] if isinstance(kind, str) and kind else None


def _offset_header(resp: requests.Response) -> int | None:
    raw = resp.headers.get("Upload-Offset")
    return int(raw) if raw is not None and raw.isdigit() else None


def _retry_after(resp: requests.Response) -> float:
    raw = resp.headers.get("Retry-After", "")
    return min(float(raw), _BACKOFF_CAP_S) if raw.isdigit() else 0.0


def _refusal(resp: requests.Response) -> BlobUploadError:
    """The exception for a 4xx answer that retrying cannot fix."""
    slug = _problem_slug(resp)
    try:
        detail = resp.json().get("detail") or resp.reason
    except ValueError:
        detail = resp.reason
    status = resp.status_code
    cls: type[UploadRefused] = UploadRefused
    if status == 401:
        # A HEAD answer has no body; the revocation is then in WWW-Authenticate.
        revoked = slug == "device-revoked" or "device-revoked" in resp.headers.get(
            "WWW-Authenticate", ""
        )
        cls = DeviceRevoked if revoked else Unauthorized
    elif status == 413:
        cls = BlobTooLarge
    elif status == 415:
        cls = UnsupportedType
    elif status == 422 and slug == "hash-mismatch":
        cls = HashMismatch
    return cls(f"{status}: {detail}", status, slug)


@dataclass(frozen=True, kw_only=True)
class _Settings:
    """How one upload behaves: chunking, budget, and the hooks tests replace."""

    chunk_size: int | None
    progress: Progress | None
    timeout: float | tuple[float, float]
    max_attempts: int
    deadline: float | None
    sleep: Callable[[float], None]
    clock: Callable[[], float]
    rng: Callable[[], float]


@dataclass(frozen=True, kw_only=True)
class _Target:
    """Where the blob goes and what it is."""

    session: requests.Session
    url: str
    headers: dict[str, str]
    #: The file to send, or its bytes (an encrypted store decrypts them first).
    path: str | os.PathLike[str] | bytes
    mime: str


class _Upload:
    """One upload in progress: the file, where the server is, and the retry budget."""

    def __init__(self, target: _Target, settings: _Settings):
        self.session, self.url, self.headers = target.session, target.url, target.headers
        self.path, self.mime = target.path, target.mime
        self.size = (
            len(target.path) if isinstance(target.path, bytes) else os.path.getsize(target.path)
        )
        self.adaptive = settings.chunk_size is None
        self.chunk_size = settings.chunk_size or DEFAULT_CHUNK
        self.timeout = settings.timeout
        self.progress, self.max_attempts = settings.progress, settings.max_attempts
        self.deadline, self.sleep, self.clock = settings.deadline, settings.sleep, settings.clock
        self.rng = settings.rng
        self.offset: int | None = None
        self.reported = -1
        self.failures = self.requests = self.bytes_sent = 0
        self.resumed_from: int | None = None

    def run(self, sha256: str) -> UploadResult:
        """Ask, send chunk by chunk and resume after transient failures until done."""
        while True:
            try:
                if self.offset is None and self.ask():
                    return self.result(sha256, "already-stored")
                status = self.send()
                if status is not None:
                    return self.result(sha256, status)
            except _Transient as exc:
                self.fail(exc)

    def _report(self, done: int) -> None:
        # Progress only ever moves forward, whatever the server says later.
        if done > self.reported:
            self.reported = done
            if self.progress is not None:
                self.progress(done, self.size)

    def result(self, sha256: str, status: str) -> UploadResult:
        """The final result; reports the whole size as done."""
        self._report(self.size)
        return UploadResult(
            sha256, self.size, status, self.requests, self.bytes_sent, self.resumed_from or 0
        )

    def _call(self, method: str, **kwargs: Any) -> requests.Response:
        self._check_deadline()
        self.requests += 1
        try:
            return self.session.request(method, self.url, timeout=self.timeout, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise _Transient(type(exc).__name__) from exc

    def _check_deadline(self) -> None:
        if self.deadline is not None and self.clock() >= self.deadline:
            raise UploadGaveUp(f"deadline passed at offset {self.offset or 0} of {self.size}")

    def ask(self) -> bool:
        """HEAD: True when the server already has the blob, else set the resume offset."""
        resp = self._call("HEAD", headers=self.headers)
        if resp.status_code == 200:
            return True
        if resp.status_code == 404:
            offset = _offset_header(resp) or 0
            length = resp.headers.get("Upload-Length")
            if (length is not None and length != str(self.size)) or offset > self.size:
                offset = 0  # someone else's upload under this name; the server restarts it
            self.offset = offset
            if self.resumed_from is None:
                self.resumed_from = offset
            self._report(offset)
            return False
        if resp.status_code >= 500 or resp.status_code == 429:
            raise _Transient(f"HEAD answered {resp.status_code}", retry_after=_retry_after(resp))
        raise _refusal(resp)

    def send(self) -> str | None:
        """PUT the next chunk; the final status once the blob is complete on the server."""
        assert self.offset is not None
        if self.size and self.offset >= self.size:
            # Every byte is committed and the server is still checking the
            # hash: ask again shortly rather than send an empty chunk.
            raise _Transient("the server is completing the upload")
        if isinstance(self.path, bytes):
            data = self.path[self.offset : self.offset + self.chunk_size]
        else:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read(self.chunk_size)
        headers = dict(self.headers, **{"Content-Type": self.mime})
        if self.size:
            last = self.offset + len(data) - 1
            headers["Content-Range"] = f"bytes {self.offset}-{last}/{self.size}"
        self.bytes_sent += len(data)
        started = self.clock()
        # A file object makes http.client send in 8 KiB blocks: the socket
        # timeout (urllib3 uses the connect timeout while the body goes out)
        # then bounds each block, not the whole chunk over a slow link.
        resp = self._call("PUT", headers=headers, data=io.BytesIO(data))
        if resp.status_code in (200, 201):
            return "uploaded" if resp.status_code == 201 else "already-stored"
        offset = _offset_header(resp)
        if resp.status_code == 202 and offset is not None:
            self._advance(offset)
            self._tune(len(data), self.clock() - started)
            return None
        if resp.status_code == 409 or (resp.status_code == 400 and offset is not None):
            raise _Transient(f"PUT answered {resp.status_code}", offset, _retry_after(resp))
        if resp.status_code >= 500 or resp.status_code == 429:
            raise _Transient(f"PUT answered {resp.status_code}", retry_after=_retry_after(resp))
        raise _refusal(resp)

    def _advance(self, offset: int) -> None:
        if self.offset is not None and offset > self.offset:
            self.failures = 0
        self.offset = offset
        self._report(offset)

    def _tune(self, sent: int, seconds: float) -> None:
        """Size the next chunk for about CHUNK_SECONDS at the rate this one went at."""
        if not self.adaptive:
            return
        want = int(sent / max(seconds, 1e-3) * CHUNK_SECONDS)
        low, high = max(MIN_CHUNK, self.chunk_size // 2), min(MAX_CHUNK, self.chunk_size * 2)
        self.chunk_size = min(high, max(low, want))

    def fail(self, exc: _Transient) -> None:
        """Count a failure, give up past the budget, else wait and resume from a fresh offset."""
        if self.adaptive:
            self.chunk_size = max(MIN_CHUNK, self.chunk_size // 2)
        before = self.offset
        if exc.offset is not None:
            self._advance(exc.offset)
        else:
            self.offset = None  # ask the server: never guess what it committed
        if exc.offset is not None and before is not None and exc.offset > before:
            return  # a resync that moved forward is progress, not a failure
        self.failures += 1
        if self.failures >= self.max_attempts:
            raise UploadGaveUp(
                f"{self.failures} failures in a row ({exc}); "
                f"{max(self.reported, 0)} of {self.size} bytes are on the server"
            )
        step = min(_BACKOFF_CAP_S, _BACKOFF_BASE_S * 2 ** (self.failures - 1))
        delay = max(exc.retry_after, step / 2 + self.rng() * step / 2)
        if self.deadline is not None:
            delay = min(delay, max(0.0, self.deadline - self.clock()))
        self.sleep(delay)


def upload(
    session: requests.Session,
    base_url: str,
    headers: dict[str, str],
    sha256: str,
    path: str | os.PathLike[str] | bytes,
    mime: str,
    *,
    chunk_size: int | None = None,
    progress: Progress | None = None,
    timeout: float | tuple[float, float] = 30.0,
    max_attempts: int = 8,
    deadline: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    rng: Callable[[], float] = random.random,
) -> UploadResult:
    """Upload the file at ``path`` (or ``path`` itself, when it is bytes) as blob ``sha256``
    to ``base_url``; resume where it stopped.

    ``headers`` carries the device's ``Authorization``.  ``progress(done,
    total)`` is called with bytes the server has committed, never going
    back.  ``timeout`` is per request (requests' connect/read timeout).
    ``chunk_size`` fixes the bytes per PUT; by default it adapts to the link.
    ``max_attempts`` bounds failures in a row without progress;
    ``deadline`` is a ``clock()`` (``time.monotonic``) instant after which
    no new request starts.  ``sleep``, ``clock`` and ``rng`` are for tests.

    Returns an ``UploadResult``; raises ``UploadRefused`` (or a subclass:
    ``HashMismatch``, ``BlobTooLarge``, ``UnsupportedType``,
    ``DeviceRevoked``, ``Unauthorized``) when the server refuses, and
    ``UploadGaveUp`` when transient failures exhaust the budget.
    """
    if not _SHA256.fullmatch(sha256):
        raise ValueError("sha256 must be 64 lowercase hex digits")
    if (chunk_size is not None and chunk_size < 1) or max_attempts < 1:
        raise ValueError("chunk_size and max_attempts must be positive")
    target = _Target(
        session=session,
        url=f"{base_url.rstrip('/')}/api/v1/blobs/{sha256}",
        headers=dict(headers),
        path=path,
        mime=mime,
    )
    settings = _Settings(
        chunk_size=chunk_size,
        progress=progress,
        timeout=timeout,
        max_attempts=max_attempts,
        deadline=deadline,
        sleep=sleep,
        clock=clock,
        rng=rng,
    )
    return _Upload(target, settings).run(sha256)
