"""The database: one SQLAlchemy instance, its engine set-up and migrations.

SQLite is the embedded default (WAL, foreign keys, ``BEGIN IMMEDIATE`` so
writers queue instead of failing on lock upgrades); PostgreSQL is the real
deployment.  Everything backend-specific about connections lives here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from flask import Flask
from flask_migrate import Migrate
from flask_migrate import upgrade as _upgrade
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase

MIGRATIONS_DIR = str(Path(__file__).with_name("migrations"))


class Base(DeclarativeBase):
    """Declarative base for the models."""


db = SQLAlchemy(model_class=Base)
migrate = Migrate(directory=MIGRATIONS_DIR)


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def engine_options(url: str) -> dict[str, Any]:
    """Engine keyword arguments suited to the backend named by ``url``."""
    options: dict[str, Any] = {"json_serializer": _json_dumps, "json_deserializer": orjson.loads}
    if url.startswith("sqlite"):
        # pysqlite's own transaction handling would send a plain BEGIN;
        # we take it over to send BEGIN IMMEDIATE (see _sqlite_begin).
        options["connect_args"] = {"isolation_level": None, "timeout": 30}
    else:
        options["pool_pre_ping"] = True
    return options


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # Reads begin DEFERRED so that pulls run side by side under WAL. Writes
    # go through write_connection(), which asks for IMMEDIATE: a deferred
    # transaction that reads and then writes fails with SQLITE_BUSY when
    # another writer got in between, instead of waiting its turn.
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def _wire_sqlite(engine: Engine) -> None:
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)


def init_app(app: Flask) -> None:
    """Bind the database and migrations to ``app``."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    for key, value in engine_options(url).items():
        app.config["SQLALCHEMY_ENGINE_OPTIONS"].setdefault(key, value)
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    migrate.init_app(app, db)
    if url.startswith("sqlite"):
        with app.app_context():
            _wire_sqlite(db.engine)


def upgrade_schema(app: Flask) -> None:
    """Bring the schema up to date (Alembic migrations, one transaction on PostgreSQL)."""
    with app.app_context():
        _upgrade(directory=MIGRATIONS_DIR)


@contextmanager
def write_connection() -> Iterator[Connection]:
    """A connection in a write transaction, committed on success, rolled back on error.

    On SQLite it holds the write lock from the start (``BEGIN IMMEDIATE``);
    on PostgreSQL it is a plain transaction and callers lock rows they read.
    """
    with db.engine.connect() as conn:
        conn.execution_options(sqlite_begin="IMMEDIATE")
        with conn.begin():
            yield conn


@contextmanager
def snapshot_connection(write: bool = False) -> Iterator[Connection]:
    """A transaction whose every statement sees the same committed snapshot.

    PostgreSQL's default READ COMMITTED takes a new snapshot per statement;
    a read made of several queries (aggregates: watermark, roll-up, live
    rows) must not see a commit that lands between them, so it runs at
    REPEATABLE READ there.  SQLite's WAL readers already see one snapshot.
    """
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        if write:
            conn.execution_options(sqlite_begin="IMMEDIATE")
        with conn.begin():
            yield conn


def is_postgres() -> bool:
    """True when the bound database is PostgreSQL."""
    return db.engine.dialect.name == "postgresql"
