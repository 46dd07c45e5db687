"""Opening the device database and running transactions on it.

Plain ``sqlite3`` in autocommit mode, so that transactions are ours:
``atomic()`` opens ``BEGIN IMMEDIATE`` at the outermost level and a
savepoint when nested (as sqlite-utils does), and rolls back on error.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def open_database(path: str | Path) -> sqlite3.Connection:
    """Open (creating with mode 0600) the store file with WAL and foreign keys on."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # The file holds the device token and officers' evidence: create it
        # readable by its owner only (SQLite gives -wal/-shm the same mode).
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    os.chmod(path, 0o600)
    conn = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    # FULL: a power cut right after a commit must not lose the officer's edit.
    conn.execute("PRAGMA synchronous=FULL")
    return conn


class Transactions:
    """Nested transactions over one connection."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.depth = 0

    @contextmanager
    def atomic(self) -> Iterator[sqlite3.Connection]:
        """Everything inside commits together or not at all."""
        if self.depth == 0:
            self.conn.execute("BEGIN IMMEDIATE")
        else:
            self.conn.execute(f"SAVEPOINT sp{self.depth}")
        self.depth += 1
        try:
            yield self.conn
        except BaseException:
            self.depth -= 1
            if self.depth == 0:
                self.conn.execute("ROLLBACK")
            else:
                self.conn.execute(f"ROLLBACK TO sp{self.depth}")
                self.conn.execute(f"RELEASE sp{self.depth}")
            raise
        self.depth -= 1
        if self.depth == 0:
            self.conn.execute("COMMIT")
        else:
            self.conn.execute(f"RELEASE sp{self.depth}")
