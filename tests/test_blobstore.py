"""The filesystem blob store on its own: names, resumes, locking, completion checks."""

from __future__ import annotations

import fcntl
import hashlib
import io
import os
from pathlib import Path

import pytest

from server.infra import blobstore as bs
from server.infra.blob_files import FilesystemBlobStore


def content(size: int, seed: int = 0) -> tuple[bytes, str]:
    """Deterministic bytes and their sha256."""
    data = hashlib.shake_256(f"store-{seed}".encode()).digest(size)
    return data, hashlib.sha256(data).hexdigest()


@pytest.fixture
def store(tmp_path: Path) -> FilesystemBlobStore:
    """A store with a short lock wait."""
    return FilesystemBlobStore(tmp_path / "blobs", lock_wait_s=0.2)


@pytest.mark.parametrize("name", ["..", "A" * 64, "a" * 63, "../" + "a" * 61, "a" * 63 + "\0"])
def test_names_other_than_sha256_are_refused(store: FilesystemBlobStore, name: str) -> None:
    """Every method refuses a name that is not 64 lowercase hex."""
    assert not bs.is_sha256(name)
    with pytest.raises(ValueError):
        store.exists(name)
    with pytest.raises(ValueError):
        store.put_whole(name, io.BytesIO(b"x"), 1, 10)


def test_chunks_resume_and_complete(store: FilesystemBlobStore) -> None:
    """Chunks build the blob; a wrong offset names the committed one; completion publishes."""
    data, sha = content(3000)
    out = store.put_chunk(sha, 0, 3000, "image/png", io.BytesIO(data[:1000]), 1000)
    assert out == bs.ChunkOutcome(1000, completed=False, created=False)
    with pytest.raises(bs.OffsetMismatch) as exc:
        store.put_chunk(sha, 2000, 3000, "image/png", io.BytesIO(data[2000:]), 1000)
    assert exc.value.offset == 1000
    info = store.partial(sha)
    assert (info.offset, info.total, info.mime) == (1000, 3000, "image/png")
    assert store.put_chunk(sha, 1000, 3000, "image/png", io.BytesIO(data[1000:]), 2000).created
    assert store.partial(sha) is None and store.size(sha) == 3000
    f, size = store.open(sha)
    with f:
        assert f.read() == data and size == 3000
    assert list(store.iter_blobs()) == [(sha, 3000)] and list(store.iter_partials()) == []


def test_short_body_commits_prefix(store: FilesystemBlobStore) -> None:
    """A body that ends early commits what came and raises with the new offset."""
    data, sha = content(2000, 1)
    with pytest.raises(bs.BodyInterrupted) as exc:
        store.put_chunk(sha, 0, 2000, "image/png", io.BytesIO(data[:700]), 2000)
    assert exc.value.offset == 700 and store.partial(sha).offset == 700


def test_new_total_restarts_upload(store: FilesystemBlobStore) -> None:
    """A chunk declaring another total restarts the upload (from 0) or says to (409 at 0)."""
    data, sha = content(2000, 2)
    store.put_chunk(sha, 0, 5000, "image/png", io.BytesIO(b"y" * 1000), 1000)
    with pytest.raises(bs.OffsetMismatch) as exc:
        store.put_chunk(sha, 1000, 2000, "image/png", io.BytesIO(data[1000:]), 1000)
    assert exc.value.offset == 0 and store.partial(sha) is None
    store.put_chunk(sha, 0, 5000, "image/png", io.BytesIO(b"y" * 1000), 1000)
    assert store.put_chunk(sha, 0, 2000, "image/png", io.BytesIO(data), 2000).completed
    assert store.size(sha) == 2000


def test_tampered_partial_is_caught_at_completion(store: FilesystemBlobStore) -> None:
    """Bytes damaged on disk between chunks fail the hash check; the upload is dropped."""
    data, sha = content(2000, 3)
    store.put_chunk(sha, 0, 2000, "image/png", io.BytesIO(data[:1000]), 1000)
    part = store.root / "partial" / f"{sha}.part"
    part.write_bytes(b"\0" * 1000)
    with pytest.raises(bs.HashMismatch):
        store.put_chunk(sha, 1000, 2000, "image/png", io.BytesIO(data[1000:]), 1000)
    assert store.partial(sha) is None and not store.exists(sha)


def test_busy_lock_is_reported_not_waited_forever(store: FilesystemBlobStore) -> None:
    """While another process holds the hash's lock, a chunk gives up with Busy."""
    data, sha = content(100, 4)
    lock = store.root / "locks" / f"{sha[:2]}.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.raises(bs.Busy):
            store.put_chunk(sha, 0, 100, "image/png", io.BytesIO(data), 100)
    finally:
        os.close(fd)
    assert store.put_chunk(sha, 0, 100, "image/png", io.BytesIO(data), 100).created


def test_whole_put_limits_and_dedup(store: FilesystemBlobStore) -> None:
    """A whole body past the limit is refused; a second copy is not stored again."""
    data, sha = content(500, 5)
    with pytest.raises(bs.TooLarge):
        store.put_whole(sha, io.BytesIO(data), None, 499)
    with pytest.raises(bs.BodyInterrupted):
        store.put_whole(sha, io.BytesIO(data[:100]), 500, 1000)
    assert store.put_whole(sha, io.BytesIO(data), None, 500) is True
    assert store.put_whole(sha, io.BytesIO(data), 500, 500) is False
    assert list((store.root / "tmp").iterdir()) == []
    assert store.delete(sha) and not store.exists(sha) and not store.delete(sha)


def test_stale_temp_files_removed(store: FilesystemBlobStore) -> None:
    """Temp files older than the cutoff go; fresh ones stay."""
    old, new = store.root / "tmp" / "old.whole", store.root / "tmp" / "new.whole"
    old.write_bytes(b"x")
    new.write_bytes(b"y")
    os.utime(old, (1, 1))
    assert store.remove_stale_temp(1000) == 1
    assert [p.name for p in (store.root / "tmp").iterdir()] == ["new.whole"]
