"""Database backends for the test suite: SQLite always, PostgreSQL when configured.

Every test that takes the ``app`` fixture runs once per backend (Kinto's
"one suite over every backend").  SQLite databases are copied from a
migrated template file; the PostgreSQL database is migrated once and its
tables emptied between tests.  Under pytest-xdist every worker has a
PostgreSQL database of its own (``<name>_gw0``, ``<name>_gw1``, ...) on the
configured cluster, so workers never empty each other's tables.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from server import create_app
from server.infra.db import db, upgrade_schema

POSTGRES_URL = os.environ.get("PATROLI_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def sqlite_template(directory: Path) -> Path:
    """A migrated, empty SQLite database file to copy per test."""
    path = directory / "template.sqlite3"
    if not path.exists():
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "test", "TESTING": True}
        )
        upgrade_schema(app)
        with app.app_context():
            db.engine.dispose()
    return path


def fresh_sqlite(template: Path, target: Path) -> str:
    """Copy the template to ``target`` and return its URL."""
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


_worker_url: str | None = None


def postgres_url() -> str:
    """This process's PostgreSQL test database (created on first use under xdist)."""
    global _worker_url
    if _worker_url is None:
        _worker_url = _database_of_worker(POSTGRES_URL, os.environ.get("PYTEST_XDIST_WORKER"))
    return _worker_url


def _database_of_worker(url: str, worker: str | None) -> str:
    """``url`` itself outside xdist; else a database named after the worker, made if absent."""
    if not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    # CREATE DATABASE cannot run inside a transaction.
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


_pg_migrated = False


def fresh_postgres() -> str:
    """The PostgreSQL test database, migrated once and emptied now."""
    global _pg_migrated
    url = postgres_url()
    if not _pg_migrated:
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test", "TESTING": True})
        upgrade_schema(app)
        with app.app_context():
            db.engine.dispose()
        _pg_migrated = True
    tables = ", ".join(t.name for t in db.metadata.sorted_tables if t.name != "counters")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        conn.execute(text("UPDATE counters SET value = 0"))
    engine.dispose()
    return url
