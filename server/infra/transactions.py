"""Transactions: the write gate every write passes, and read snapshots.

One write discipline on every backend: a write is a ``write_connection``
or a ``write_session`` block, each entered through the engine's write gate.
The gate is not reentrant: a write opened inside another write of the same
thread is refused with ``NestedWrite`` (on SQLite the inner one could only
wait for the outer one's lock, then fail).  On SQLite the gate also queues
the threads of one process for the database's single write lock.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from server.infra import wal
from server.infra.db import db


class NestedWrite(RuntimeError):
    """A write was opened inside another write of the same thread."""


class PendingChanges(RuntimeError):
    """``write_session`` was entered with changes already in the session."""


class WriteGate:
    """One engine's gate: one write per thread at a time, one per process on SQLite."""

    def __init__(self, *, serialise: bool):
        # SQLite admits one writer; a thread that finds the lock taken sleeps
        # in the busy handler's growing steps (up to 100 ms) and misses the
        # release.  Threads of one process queue here instead and are woken
        # at once; other processes still meet the busy timeout.
        self._lock = threading.Lock() if serialise else None
        self._inside = threading.local()

    @contextmanager
    def passage(self) -> Iterator[None]:
        """Hold the gate for one write; ``NestedWrite`` if this thread already does."""
        if getattr(self._inside, "held", False):
            raise NestedWrite(
                "A write transaction was opened inside another one of the same thread; "
                "do the work inside the outer transaction instead."
            )
        self._inside.held = True
        try:
            if self._lock is None:
                yield
            else:
                with self._lock:
                    yield
        finally:
            self._inside.held = False


_GATES: weakref.WeakKeyDictionary[Engine, WriteGate] = weakref.WeakKeyDictionary()
_GATES_LOCK = threading.Lock()


def write_gate(engine: Engine) -> WriteGate:
    """The write gate of ``engine`` (one per engine and process)."""
    with _GATES_LOCK:
        gate = _GATES.get(engine)
        if gate is None:
            gate = _GATES[engine] = WriteGate(serialise=engine.dialect.name == "sqlite")
    return gate


@contextmanager
def write_connection(snapshot: bool = False) -> Iterator[Connection]:
    """A connection in a write transaction, committed on success, rolled back on error.

    On SQLite it holds the write lock from the start (``BEGIN IMMEDIATE``);
    on PostgreSQL it is a plain transaction and callers lock rows they read.
    ``snapshot`` asks PostgreSQL for one snapshot for every statement
    (REPEATABLE READ), as a writer that reads several tables in turn needs.
    """
    engine = db.engine
    with write_gate(engine).passage(), engine.connect() as conn:
        conn.execution_options(sqlite_begin="IMMEDIATE")
        if snapshot and conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn
        # Still inside the gate: no writer of this process waits meanwhile.
        wal.after_write(conn)


@contextmanager
def write_session() -> Iterator[None]:
    """Make ``db.session`` changes in a transaction that holds the write lock from its start.

    A session's transaction begins at its first read. On SQLite a read
    transaction that later writes fails at once with "database is locked"
    when another writer committed in between (its snapshot is stale, so the
    busy timeout cannot help): under a steady push load that was nearly every
    script-token request, since the password check sits between the read and
    the write. So the read transaction is ended first and the write one
    begins IMMEDIATE; objects loaded before are reloaded inside it on first
    use. Add and change objects inside the block; it commits on success and
    rolls back on error. On PostgreSQL it is a plain transaction.

    Changes made before the block would be committed outside the gate, so
    they are refused (``PendingChanges``) and the session is left as it was.
    """
    session = db.session
    if session.new or session.dirty or session.deleted:
        raise PendingChanges(
            "Changes were added to the session before write_session(); make them inside the block."
        )
    with write_gate(db.engine).passage():
        # Only reads can be in the transaction now: end it, so the write
        # transaction starts fresh and IMMEDIATE.
        session.rollback()
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        try:
            yield
            session.commit()
        except BaseException:
            session.rollback()
            raise
        if db.engine.dialect.name == "sqlite":
            with db.engine.connect() as conn:
                wal.after_write(conn)


@contextmanager
def read_snapshot() -> Iterator[Connection]:
    """A read-only transaction whose every statement sees one snapshot.

    SQLite's deferred transaction takes its WAL snapshot at the first read
    and keeps it; PostgreSQL's default READ COMMITTED would give each
    statement a newer one (a read made of several queries, such as a pull
    page or the aggregates' whole periods and edge days, must not see
    a commit land between them), so REPEATABLE READ is asked for there
    (read-only transactions never fail to serialise).  Keep it short: on
    SQLite, while it lasts, the WAL cannot start over (server.infra.wal).
    """
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            yield conn


#: PostgreSQL SQLSTATEs after which rerunning the transaction can succeed:
#: unique violation (a concurrent writer inserted the same key first),
#: serialization failure and deadlock.
_RETRY_SQLSTATES = frozenset({"23505", "40001", "40P01"})
_RETRY_SQLITE = frozenset(
    {"SQLITE_CONSTRAINT_PRIMARYKEY", "SQLITE_CONSTRAINT_UNIQUE", "SQLITE_BUSY"}
)


def is_retryable(exc: DBAPIError) -> bool:
    """True when ``exc`` came from a race with another writer, not from bad data or a bug."""
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate in _RETRY_SQLSTATES
    if isinstance(exc, IntegrityError | OperationalError):
        return getattr(orig, "sqlite_errorname", None) in _RETRY_SQLITE
    return False
