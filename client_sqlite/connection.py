"""Opening the device database and running transactions on it.

The file is encrypted (``client_sqlite.encryption``: SQLCipher, the key
from the officer's PIN); a store written before encryption is encrypted
in place the first time it is opened with a PIN.  The connection is in
autocommit mode, so that transactions are ours:
``atomic()`` opens ``BEGIN IMMEDIATE`` at the outermost level and a
savepoint when nested (as sqlite-utils does), and rolls back on error.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from client_sqlite.encryption import (
    SALT_BYTES,
    Keys,
    check_pin,
    connect,
    encrypt_plaintext_store,
    is_plaintext,
    keys_for,
    pin_from_env,
)


def open_database(path: str | Path, pin: str | None = None) -> tuple[sqlite3.Connection, Keys]:
    """Open (creating with mode 0600) the store file with WAL and foreign keys on.

    ``pin`` defaults to ``PATROLI_FIELD_PIN``; ``StoreLocked`` when it is
    missing or wrong, before anything is written.
    """
    path = Path(path)
    pin = pin_from_env(pin)
    if path.exists() and path.stat().st_size and is_plaintext(path):
        check_pin(pin)
        keys = Keys(pin, os.urandom(SALT_BYTES))
        encrypt_plaintext_store(path, keys)
    else:
        keys = keys_for(path, pin)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # The file holds the device token and officers' evidence: create it
        # readable by its owner only (SQLite gives -wal/-shm the same mode).
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    os.chmod(path, 0o600)
    conn = connect(path, keys)
    # Freed pages are zeroed, so deleted content leaves no trace even
    # inside the (encrypted) file.
    conn.execute("PRAGMA secure_delete=ON")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    # FULL: a power cut right after a commit must not lose the officer's edit.
    conn.execute("PRAGMA synchronous=FULL")
    return conn, keys


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
