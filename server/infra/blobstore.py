"""Content-addressed blob storage (photos, document scans): the interface and its errors.

A blob is named by the sha256 of its bytes and by nothing else.  The store
the server runs is ``server.infra.blob_files.FilesystemBlobStore``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol

SHA256_RE = re.compile(r"[0-9a-f]{64}")


def is_sha256(value: str) -> bool:
    """True when ``value`` is a lowercase hex sha256 (the only thing a blob path is built from)."""
    return bool(SHA256_RE.fullmatch(value))


class BlobError(Exception):
    """Base of the store's refusals."""


class OffsetMismatch(BlobError):
    """A chunk did not start at the committed offset."""

    def __init__(self, offset: int, reason: str):
        super().__init__(reason)
        self.offset = offset


class Busy(BlobError):
    """Another request is writing this upload right now."""

    def __init__(self, offset: int):
        super().__init__("another upload of this blob is in progress")
        self.offset = offset


class BodyInterrupted(BlobError):
    """The request body ended early; ``offset`` bytes of the upload are committed."""

    def __init__(self, offset: int):
        super().__init__("the body ended before its declared length")
        self.offset = offset


class HashMismatch(BlobError):
    """The complete content does not hash to the name it was uploaded under."""

    def __init__(self, actual: str):
        super().__init__(f"the content hashes to {actual}")
        self.actual = actual


class TooLarge(BlobError):
    """The body is longer than the store accepts."""


@dataclass(frozen=True)
class PartialUpload:
    """A resumable upload in progress."""

    sha256: str
    offset: int
    total: int
    mime: str
    updated_at: float


@dataclass(frozen=True)
class ChunkOutcome:
    """What a chunk did: the committed offset, and whether the blob is now complete."""

    offset: int
    completed: bool
    created: bool


class Readable(Protocol):
    """Anything with ``read(n)`` (a request stream, a file)."""

    def read(self, size: int = -1, /) -> bytes:
        """Up to ``size`` bytes; ``b""`` at the end."""
        ...


class BlobStore(Protocol):
    """What the API and the jobs need from a blob store."""

    def exists(self, sha256: str) -> bool:
        """True when the complete blob is stored."""
        ...

    def size(self, sha256: str) -> int | None:
        """Size of the stored blob, or ``None``."""
        ...

    def open(self, sha256: str) -> tuple[BinaryIO, int]:
        """The stored blob opened for reading, and its size; FileNotFoundError if absent."""
        ...

    def partial(self, sha256: str) -> PartialUpload | None:
        """The upload in progress for ``sha256``, if any."""
        ...

    def put_whole(self, sha256: str, body: Readable, length: int | None, limit: int) -> bool:
        """Store a whole body; True when created, False when it was already stored."""
        ...

    def put_chunk(
        self, sha256: str, offset: int, total: int, mime: str, body: Readable, length: int
    ) -> ChunkOutcome:
        """Append ``length`` bytes at ``offset`` of a resumable upload; complete it at the end."""
        ...

    def discard_partial(self, sha256: str) -> bool:
        """Drop an upload in progress; True when there was one."""
        ...

    def delete(self, sha256: str) -> bool:
        """Remove a stored blob (admin purge); True when it existed."""
        ...

    def iter_blobs(self) -> Iterator[tuple[str, int]]:
        """Every stored blob as ``(sha256, size)``."""
        ...

    def iter_partials(self) -> Iterator[PartialUpload]:
        """Every upload in progress."""
        ...

    def remove_stale_temp(self, older_than: float) -> int:
        """Delete temporary files last touched before ``older_than`` (epoch s); their count."""
        ...
