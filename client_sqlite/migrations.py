"""The device store's schema, as numbered migrations recorded in a table.

Opening a store applies every migration it has not seen, all in one
transaction: a store file from an older app version is upgraded in place,
and a crash half-way leaves it at its old version.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime

from client_sqlite.connection import Transactions


def _run(conn: sqlite3.Connection, script: str) -> None:
    # Not executescript(): it COMMITs any open transaction first, which
    # would break the one-transaction upgrade.
    for statement in script.split(";\n"):
        if statement.strip():
            conn.execute(statement)


def _v1_initial(conn: sqlite3.Connection) -> None:
    _run(
        conn,
        """
    CREATE TABLE device (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        device_id TEXT, token TEXT, server_url TEXT, officer TEXT, post TEXT,
        hlc TEXT, cursor TEXT, last_sync_at TEXT, last_sync_ok INTEGER,
        last_sync_summary TEXT, enrolled_at TEXT, revoked INTEGER NOT NULL DEFAULT 0
    );
    INSERT INTO device (id) VALUES (1);
    CREATE TABLE reports (
        id TEXT PRIMARY KEY,
        doc TEXT NOT NULL,           -- what the officer sees: acked + outbox on top
        acked TEXT,                  -- the server's document as last pulled
        acked_rev INTEGER,           -- its revision; NULL until the server has it
        kind TEXT, title TEXT, occurred_at TEXT, review_status TEXT,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        op_id TEXT NOT NULL UNIQUE,
        report_id TEXT NOT NULL,
        base_rev INTEGER,
        hlc TEXT NOT NULL,
        fields TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending'
            CHECK (state IN ('pending', 'in_flight', 'rejected')),
        attempts INTEGER NOT NULL DEFAULT 0,
        errors TEXT,
        created_at TEXT NOT NULL
    );
    CREATE INDEX ix_outbox_report ON outbox (report_id, seq);
    CREATE INDEX ix_outbox_state ON outbox (state, seq);
    CREATE TABLE conflicts (
        id TEXT PRIMARY KEY,
        report_id TEXT NOT NULL,
        field TEXT NOT NULL,
        record TEXT NOT NULL
    );
    CREATE INDEX ix_conflicts_report ON conflicts (report_id);
    """,
    )


def _v2_clock_and_blobs(conn: sqlite3.Connection) -> None:
    _run(
        conn,
        """
    ALTER TABLE device ADD COLUMN clock_offset_ms INTEGER;
    CREATE TABLE blobs (
        sha256 TEXT PRIMARY KEY,
        path TEXT NOT NULL,
        mime TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        uploaded_at TEXT,
        created_at TEXT NOT NULL
    );
    """,
    )


def _v3_blob_errors(conn: sqlite3.Connection) -> None:
    # A blob the server refuses for good (wrong type, too large, bad hash)
    # keeps the server's words here instead of being retried forever.
    _run(conn, "ALTER TABLE blobs ADD COLUMN error TEXT")


def _v4_signing_key(conn: sqlite3.Connection) -> None:
    # The device's ES256 key (sync.signing), made at enrollment; a store
    # enrolled before has none and its ops go unsigned until re-enrolled.
    _run(conn, "ALTER TABLE device ADD COLUMN signing_key TEXT")


def _v5_op_signatures(conn: sqlite3.Connection) -> None:
    # An op is signed when it is recorded (client_sqlite.editing), not when
    # it is sent: signing 10,000 ops at sync time held the sync up for
    # seconds. NULL: recorded before enrollment, or the key changed since.
    _run(conn, "ALTER TABLE outbox ADD COLUMN signature TEXT")


MIGRATIONS: list[tuple[int, str, Callable[[sqlite3.Connection], None]]] = [
    (1, "initial", _v1_initial),
    (2, "clock offset and blobs", _v2_clock_and_blobs),
    (3, "blob errors", _v3_blob_errors),
    (4, "signing key", _v4_signing_key),
    (5, "op signatures", _v5_op_signatures),
]

LATEST = MIGRATIONS[-1][0]


def current_version(conn: sqlite3.Connection) -> int:
    """The highest migration applied to this store (0 for a new file)."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS migrations "
        "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    row = conn.execute("SELECT MAX(version) FROM migrations").fetchone()
    return row[0] or 0


def migrate(tx: Transactions, upto: int | None = None) -> list[int]:
    """Apply the missing migrations (up to ``upto``) in one transaction; return them."""
    applied = []
    with tx.atomic() as conn:
        have = current_version(conn)
        if have > LATEST:
            raise RuntimeError(
                f"this store was written by a newer Patroli (schema {have}); "
                "update the app before opening it"
            )
        for version, name, step in MIGRATIONS:
            if version <= have or (upto is not None and version > upto):
                continue
            step(conn)
            conn.execute(
                "INSERT INTO migrations VALUES (?, ?, ?)",
                (version, name, datetime.now(UTC).isoformat()),
            )
            applied.append(version)
    return applied
