"""Content-addressed blob storage (photos, document scans): the filesystem store.

A blob is named by the sha256 of its bytes and by nothing else: every path
is built from a hash that matched ``^[0-9a-f]{64}$``, never from user text.
Layout under the root directory::

    objects/<first two hex>/<sha256>   complete, verified blobs
    partial/<sha256>.part               bytes committed so far of a resumable upload
    partial/<sha256>.json               its declared total and media type
    locks/<first two hex>.lock          one flock per hash prefix (never deleted)
    tmp/                                whole-body uploads and completions in progress

"No photo lost" rests on two rules: a blob appears under ``objects/`` only
by an atomic rename of a verified, fsynced file (and the directory is
fsynced after it), so a 201 means the bytes are on disk; and an upload's
committed offset is the size of its fsynced ``.part`` file, so a resumed
upload never skips bytes.  The hash check at completion catches anything a
crash could have left half-written in a ``.part`` file.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from flask import Flask

from server.infra.blobstore import (
    BlobStore,
    BodyInterrupted,
    Busy,
    ChunkOutcome,
    HashMismatch,
    OffsetMismatch,
    PartialUpload,
    Readable,
    TooLarge,
    is_sha256,
)

# Small reads: when a link stalls, the bytes a server buffered toward an
# unfinished read are lost, so this bounds what a stall costs.
_READ = 16 * 1024
# Chunks up to this size are spooled in memory, larger ones in tmp/.
_SPOOL_IN_MEMORY = 1024 * 1024


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy(body: Readable, out: BinaryIO, want: int, digest: Any) -> int:
    """Copy up to ``want`` bytes from ``body`` to ``out``; the count copied."""
    done = 0
    while done < want:
        try:
            data = body.read(min(_READ, want - done))
        except Exception:  # noqa: BLE001 - any failure reading the request is a cut
            break
        if not data:
            break
        out.write(data)
        if digest is not None:
            digest.update(data)
        done += len(data)
    return done


class FilesystemBlobStore:
    """A ``BlobStore`` in a local directory (see the module docstring for its layout)."""

    def __init__(self, root: str | os.PathLike[str], lock_wait_s: float = 10.0):
        self.root = Path(root)
        self.lock_wait_s = lock_wait_s
        for sub in ("objects", "partial", "locks", "tmp"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    # -- names: every path below is built from a validated hash only --

    def _check(self, sha256: str) -> str:
        if not is_sha256(sha256):
            raise ValueError("not a lowercase hex sha256")
        return sha256

    def _object(self, sha256: str) -> Path:
        sha256 = self._check(sha256)
        return self.root / "objects" / sha256[:2] / sha256

    def _part(self, sha256: str) -> Path:
        return self.root / "partial" / f"{self._check(sha256)}.part"

    def _meta(self, sha256: str) -> Path:
        return self.root / "partial" / f"{self._check(sha256)}.json"

    @contextmanager
    def _locked(self, sha256: str) -> Iterator[bool]:
        """Hold the hash's stripe lock; yields False when it stayed busy past ``lock_wait_s``.

        Lock files are per two-hex prefix and never deleted: deleting a lock
        file that another process is waiting on lets two holders in at once.
        """
        path = self.root / "locks" / f"{self._check(sha256)[:2]}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = time.monotonic() + self.lock_wait_s
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        yield False
                        return
                    time.sleep(0.02)
            try:
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    # -- reading --

    def exists(self, sha256: str) -> bool:
        """True when the complete blob is stored."""
        return self._object(sha256).is_file()

    def size(self, sha256: str) -> int | None:
        """Size of the stored blob, or ``None``."""
        try:
            return self._object(sha256).stat().st_size
        except FileNotFoundError:
            return None

    def open(self, sha256: str) -> tuple[BinaryIO, int]:
        """The stored blob opened for reading, and its size; FileNotFoundError if absent."""
        f = self._object(sha256).open("rb")
        return f, os.fstat(f.fileno()).st_size

    def partial(self, sha256: str) -> PartialUpload | None:
        """The upload in progress for ``sha256``, if any."""
        try:
            meta = json.loads(self._meta(sha256).read_text())
            st = self._part(sha256).stat()
        except (FileNotFoundError, ValueError):
            return None
        return PartialUpload(sha256, st.st_size, int(meta["total"]), meta["mime"], st.st_mtime)

    # -- writing --

    def _publish(self, sha256: str, source: Path) -> bool:
        """Atomically move a verified, fsynced file into ``objects/`` (caller holds the lock)."""
        target = self._object(sha256)
        if target.exists():
            source.unlink(missing_ok=True)
            return False
        target.parent.mkdir(exist_ok=True)
        os.replace(source, target)
        _fsync_dir(target.parent)
        return True

    def put_whole(self, sha256: str, body: Readable, length: int | None, limit: int) -> bool:
        """Store a whole body; True when created, False when it was already stored.

        Raises TooLarge past ``limit``, BodyInterrupted when the body ends
        before ``length`` (nothing is kept), HashMismatch when the content
        is not ``sha256``.
        """
        self._check(sha256)
        digest = hashlib.sha256()
        fd, name = tempfile.mkstemp(dir=self.root / "tmp", prefix=sha256[:16], suffix=".whole")
        tmp = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                want = limit + 1 if length is None else length
                done = _copy(body, out, want, digest)
                if done > limit:
                    raise TooLarge(f"more than {limit} bytes")
                if length is not None and done < length:
                    raise BodyInterrupted(0)
                if digest.hexdigest() != sha256:
                    raise HashMismatch(digest.hexdigest())
                out.flush()
                os.fsync(out.fileno())
            with self._locked(sha256) as got:
                if not got:
                    raise Busy(0)
                created = self._publish(sha256, tmp)
                self._drop_partial(sha256)
            return created
        finally:
            tmp.unlink(missing_ok=True)

    def put_chunk(
        self, sha256: str, offset: int, total: int, mime: str, body: Readable, length: int
    ) -> ChunkOutcome:
        """Append ``length`` bytes at ``offset`` of a resumable upload; complete it at the end.

        Raises OffsetMismatch (with the committed offset), Busy,
        BodyInterrupted (the bytes that did arrive stay committed) and
        HashMismatch (the upload is discarded).  The body is spooled before
        the lock is taken: a slow or stalled link never holds the lock.
        """
        size = self.size(sha256)
        if size is not None:
            return ChunkOutcome(size, completed=True, created=False)
        current = self.partial(sha256)
        if current is None or current.total == total:
            committed = current.offset if current else 0
            if offset != committed:
                # Refused before reading the body: the device re-sends from here.
                raise OffsetMismatch(committed, "the chunk does not start at the committed offset")
        with tempfile.SpooledTemporaryFile(_SPOOL_IN_MEMORY, dir=self.root / "tmp") as spool:
            done = _copy(body, spool, length, None)
            spool.seek(0)
            with self._locked(sha256) as got:
                if not got:
                    current = self.partial(sha256)
                    raise Busy(current.offset if current else 0)
                outcome = self._commit_chunk(sha256, offset, total, mime, spool, done)
        if done < length:
            raise BodyInterrupted(outcome.offset)
        return outcome

    def _commit_chunk(
        self, sha256: str, offset: int, total: int, mime: str, data: BinaryIO, length: int
    ) -> ChunkOutcome:
        """Append spooled chunk data to the upload (caller holds the lock)."""
        size = self.size(sha256)
        if size is not None:
            return ChunkOutcome(size, completed=True, created=False)
        current = self.partial(sha256)
        if current is not None and current.total != total:
            # Two different totals for one hash: at least one is wrong, and
            # the hash check at the end decides. Start over.
            self._drop_partial(sha256)
            current = None
            if offset != 0:
                raise OffsetMismatch(0, "the declared total differs from the upload's")
        committed = current.offset if current else 0
        if offset != committed:
            raise OffsetMismatch(committed, "the chunk does not start at the committed offset")
        if offset + length > total:
            raise TooLarge(f"the chunk goes past the declared total of {total} bytes")
        if current is None:
            self._start_partial(sha256, total, mime)
        if length:
            with self._part(sha256).open("r+b") as out:
                out.seek(offset)
                shutil.copyfileobj(data, out, _READ)
                out.flush()
                # Whatever arrived is committed, also when the link was cut:
                # the next HEAD tells the device to resume right after it.
                os.fsync(out.fileno())
        if offset + length < total:
            return ChunkOutcome(offset + length, completed=False, created=False)
        return ChunkOutcome(total, completed=True, created=self._complete(sha256))

    def _start_partial(self, sha256: str, total: int, mime: str) -> None:
        meta = json.dumps({"total": total, "mime": mime, "started_at": time.time()})
        tmp = self._meta(sha256).with_suffix(".json.tmp")
        tmp.write_text(meta)
        os.replace(tmp, self._meta(sha256))
        self._part(sha256).touch()
        _fsync_dir(self._part(sha256).parent)

    def _complete(self, sha256: str) -> bool:
        part = self._part(sha256)
        digest = hashlib.sha256()
        with part.open("rb") as f:
            while data := f.read(1024 * 1024):
                digest.update(data)
        if digest.hexdigest() != sha256:
            self._drop_partial(sha256)
            raise HashMismatch(digest.hexdigest())
        created = self._publish(sha256, part)
        self._meta(sha256).unlink(missing_ok=True)
        return created

    def _drop_partial(self, sha256: str) -> bool:
        existed = self._part(sha256).exists() or self._meta(sha256).exists()
        self._part(sha256).unlink(missing_ok=True)
        self._meta(sha256).unlink(missing_ok=True)
        return existed

    def discard_partial(self, sha256: str) -> bool:
        """Drop an upload in progress; True when there was one."""
        with self._locked(sha256) as got:
            return got and self._drop_partial(sha256)

    def delete(self, sha256: str) -> bool:
        """Remove a stored blob (admin purge); True when it existed."""
        with self._locked(sha256) as got:
            if not got:
                return False
            try:
                self._object(sha256).unlink()
            except FileNotFoundError:
                return False
            return True

    # -- listing --

    def iter_blobs(self) -> Iterator[tuple[str, int]]:
        """Every stored blob as ``(sha256, size)``."""
        for shard in sorted((self.root / "objects").iterdir()):
            for entry in sorted(shard.iterdir()):
                if is_sha256(entry.name):
                    yield entry.name, entry.stat().st_size

    def iter_partials(self) -> Iterator[PartialUpload]:
        """Every upload in progress (a part file without metadata counts, as total 0)."""
        names = {p.name.split(".")[0] for p in (self.root / "partial").iterdir()}
        for name in sorted(n for n in names if is_sha256(n)):
            info = self.partial(name)
            if info is None:
                part = self._part(name)
                mtime = part.stat().st_mtime if part.exists() else 0.0
                info = PartialUpload(name, 0, 0, "", mtime)
            yield info

    def remove_stale_temp(self, older_than: float) -> int:
        """Delete temporary files last touched before ``older_than`` (epoch s); their count."""
        removed = 0
        for entry in (self.root / "tmp").iterdir():
            try:
                if entry.stat().st_mtime < older_than:
                    entry.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed


def store_for(app: Flask) -> BlobStore:
    """The app's blob store (one per app, under ``PATROLI_BLOB_DIR``)."""
    store = app.extensions.get("patroli_blobstore")
    if store is None:
        store = FilesystemBlobStore(
            app.config["PATROLI_BLOB_DIR"], app.config.get("PATROLI_BLOB_LOCK_WAIT_S", 10)
        )
        app.extensions["patroli_blobstore"] = store
    return store
