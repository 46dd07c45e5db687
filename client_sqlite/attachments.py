"""Evidence attachments on the device: content-addressed files beside the store.

Photos and scans are copied into ``<store>.blobs/<sha256>`` rather than kept
in SQLite: a 3 MB photo per row would bloat the WAL and every checkpoint,
and a file named by its own hash never changes, so copying, resuming and
verifying it is simple.  The copy is encrypted with the store's key
(``client_sqlite.encryption``), written to a temporary name, synced and
renamed, so a power cut never leaves a half file under a real hash.
"""

from __future__ import annotations

import mimetypes
import os
from pathlib import Path
from typing import Any

from client_sqlite import editing
from client_sqlite.encryption import write_atomically
from client_sqlite.store import Store, now_iso
from sync.blob_upload import sha256_file


def blob_dir(store: Store) -> Path:
    """The folder holding this store's attachment files."""
    return store.blob_dir


def _mime(path: Path) -> str:
    guessed, _ = mimetypes.guess_type(path.name)
    if guessed and (guessed.startswith("image/") or guessed == "application/pdf"):
        return guessed
    raise editing.LocalValidationError(
        {"file": [f"must be a photo or a PDF scan (got {guessed or 'an unknown type'})"]}
    )


def _copy_in(store: Store, source: Path, target: Path) -> None:
    if target.exists():
        return  # content-addressed: the same bytes are already here
    # Encrypted under the store's key before it touches the disk.
    write_atomically(target, store.keys.seal(target.name, source.read_bytes()))


def attach(
    store: Store, report_id: str, file: str | os.PathLike[str], caption: str | None = None
) -> str:
    """Add a photo or scan to a report (offline); return its sha256."""
    source = Path(file)
    if not source.is_file():
        raise editing.LocalValidationError({"file": [f"{source} is not a readable file"]})
    mime = _mime(source)
    sha = sha256_file(source)
    size = source.stat().st_size
    target = blob_dir(store) / sha
    _copy_in(store, source, target)
    element = {"mime": mime, "bytes": size}
    if caption:
        element["caption"] = caption
    with store.atomic() as c:
        c.execute(
            "INSERT OR IGNORE INTO blobs (sha256, path, mime, bytes, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (sha, str(target), mime, size, now_iso()),
        )
        editing.edit(store, report_id, {f"attachments.{sha}": element})
    return sha


def blobs(store: Store) -> dict[str, dict[str, Any]]:
    """Every local attachment file by hash, with its upload state."""
    rows = store.conn.execute("SELECT sha256, path, mime, bytes, uploaded_at, error FROM blobs")
    return {
        r[0]: {"path": r[1], "mime": r[2], "bytes": r[3], "uploaded_at": r[4], "error": r[5]}
        for r in rows
    }
