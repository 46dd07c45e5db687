"""Keeping SQLite's write-ahead log bounded under sustained writing.

SQLite only starts its WAL over from the beginning when a checkpoint has
copied every frame back into the database and no reader still uses a
snapshot inside the log.  The automatic checkpoint run at commit is
PASSIVE: it stops at the oldest reader's snapshot.  Under a steady push
load some reader nearly always held one (each request's session kept the
snapshot of its authentication read open while its write committed), so
the checkpoint never reached the end, the log never restarted and it grew
by every batch (11.4 GB at 300,000 reports).

Two things fix it together.  The request session's reads no longer hold
a snapshot past their statement (``server.infra.db._Session``), and after a
gated write that left the log above ``PATROLI_WAL_CHECKPOINT_BYTES`` the
writer, still holding the write gate, runs a TRUNCATE checkpoint: it
waits a short while for the readers of older snapshots (bounded read
transactions) to finish, copies everything back and cuts the file to
nothing.  When readers outlast the wait, the checkpoint is logged as
incomplete and tried again once the log has grown by the threshold again.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import current_app
from sqlalchemy.engine import Connection

from server.infra.db import SQLITE_BUSY_TIMEOUT_MS

log = logging.getLogger("patroli.wal")

#: WAL file → the size from which the next reset is tried, after one that
#: readers outlasted: each try holds the write lock while it waits, so a
#: long read (an export) must not make every write wait in turn.
_retry_from: dict[str, int] = {}


def wal_path(conn: Connection) -> str | None:
    """The WAL file of the SQLite database behind ``conn`` (None for other backends)."""
    if conn.dialect.name != "sqlite":
        return None
    database = conn.engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database + "-wal"


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0


def after_write(conn: Connection) -> None:
    """Reset the log if the write just committed on ``conn`` left it too large.

    Called by the write gate's holder after commit, with no transaction
    open on ``conn``; a failure is logged, never raised (the write stands).
    """
    path = wal_path(conn)
    if path is None:
        return
    limit = current_app.config["PATROLI_WAL_CHECKPOINT_BYTES"]
    size = _size(path)
    if size < max(limit, _retry_from.get(path, 0)):
        return
    # Bounded: the write that triggered the reset is answered after it.
    wait_ms = current_app.config["PATROLI_WAL_CHECKPOINT_WAIT_MS"]
    try:
        busy, frames, copied = _truncate(conn.connection.dbapi_connection, wait_ms)
    except Exception:
        _retry_from[path] = size + limit
        log.exception("WAL checkpoint of %s (%d bytes) failed", path, size)
        return
    if not busy:
        _retry_from.pop(path, None)
        return
    _retry_from[path] = size + limit
    log.warning(
        "WAL checkpoint of %s (%d bytes) could not finish within %d ms: "
        "readers still use older snapshots (%d of %d frames copied); "
        "tried again once the log has grown by %d bytes",
        path,
        size,
        wait_ms,
        copied,
        frames,
        limit,
    )


def _truncate(dbapi_conn: Any, wait_ms: int) -> tuple[int, int, int]:
    """Run ``wal_checkpoint(TRUNCATE)`` waiting at most ``wait_ms``; its (busy, log, copied)."""
    cur = dbapi_conn.cursor()
    try:
        cur.execute(f"PRAGMA busy_timeout={int(wait_ms)}")
        try:
            busy, frames, copied = cur.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cur.close()
    return busy, frames, copied
