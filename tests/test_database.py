"""The database layer on every backend: UTC times, retries, snapshots, migrations."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from server import create_app
from server.infra.bulk import bulk_write
from server.infra.db import db, insert_if_absent, upgrade_schema
from server.infra.models import Counter, JobRun, Post
from server.infra.transactions import (
    NestedWrite,
    PendingChanges,
    is_retryable,
    read_snapshot,
    write_connection,
    write_session,
)
from tests import backends
from tests.world import World

posts = Post.__table__
counters = Counter.__table__


@pytest.fixture
def far_from_utc() -> Iterator[None]:
    """Run with the process's local time zone 5 hours behind UTC."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


def test_stored_times_come_back_as_utc(app: Flask, world: World, far_from_utc: None) -> None:
    """A report's created_at is the real instant even when local time is not UTC."""
    dev = world.devices["ofc.nnk.1"]
    rid, _ = dev.create()
    dev.push(dev.op(rid, {"route": "Sebuku river"}, base_rev=1))
    changes, _ = dev.pull_all()
    created = datetime.fromisoformat(changes[0]["report"]["created_at"].replace("Z", "+00:00"))
    assert abs(created - datetime.now(UTC)) < timedelta(minutes=1)
    with app.app_context():
        value = db.session.execute(select(Post.created_at)).scalars().first()
    assert value.tzinfo is not None and value.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("row", "retryable"),
    [
        ({"code": "NNK", "name": "again", "tz": "UTC"}, True),  # duplicate key
        ({"code": "XYZ", "name": None, "tz": "UTC"}, False),  # NOT NULL: a bug, not a race
    ],
)
def test_only_races_are_retryable(app: Flask, row: dict, retryable: bool) -> None:
    """A duplicate key is worth a rerun; a constraint that data breaks is not."""
    now = datetime.now(UTC)
    with app.app_context():
        with write_connection() as conn:
            conn.execute(insert(posts).values(code="NNK", name="Nunukan", tz="UTC", created_at=now))
        with pytest.raises(DBAPIError) as caught, write_connection() as conn:
            conn.execute(insert(posts).values(created_at=now, **row))
        assert is_retryable(caught.value) is retryable


def test_insert_if_absent_keeps_the_first_row(app: Flask) -> None:
    """Two processes creating the same job row: no error, one row, first one kept."""
    runs = JobRun.__table__
    with app.app_context():
        for holder in ("first", "second"):
            with write_connection() as conn:
                conn.execute(insert_if_absent(runs).values(name="probe", holder=holder))
        with write_connection() as conn:
            rows = conn.execute(select(runs.c.holder).where(runs.c.name == "probe")).all()
    assert [r.holder for r in rows] == ["first"]


def test_read_snapshot_does_not_see_later_commits(app: Flask) -> None:
    """Statements in one read snapshot agree even if a writer commits between them."""
    now = datetime.now(UTC)
    with app.app_context():
        with read_snapshot() as reader:
            before = reader.execute(select(func.count()).select_from(posts)).scalar()
            with write_connection() as writer:
                writer.execute(
                    insert(posts).values(code="DUM", name="Dumai", tz="UTC", created_at=now)
                )
            during = reader.execute(select(func.count()).select_from(posts)).scalar()
        with read_snapshot() as reader:
            after = reader.execute(select(func.count()).select_from(posts)).scalar()
    assert (before, during, after) == (0, 0, 1)


def _blank_database(backend: str, tmp_path: Path) -> tuple[str, dict]:
    """A database URL with no schema yet, and engine options to reach it."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'blank.sqlite3'}", {}
    engine = create_engine(backends.postgres_url())
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS migtest CASCADE; CREATE SCHEMA migtest"))
    engine.dispose()
    options = {"connect_args": {"options": "-c search_path=migtest"}}
    return backends.postgres_url(), options


def test_servers_starting_together_upgrade_once(backend: str, tmp_path: Path) -> None:
    """Three processes upgrading a blank database at once all succeed, schema at head."""
    url, engine_options = _blank_database(backend, tmp_path)
    apps = [
        create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "SECRET_KEY": "t",
                "TESTING": True,
                "SQLALCHEMY_ENGINE_OPTIONS": dict(engine_options),
            }
        )
        for _ in range(3)
    ]
    errors: list[BaseException] = []
    start = threading.Barrier(len(apps))

    def upgrade(app: Flask) -> None:
        start.wait(timeout=10)
        try:
            upgrade_schema(app)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=upgrade, args=(a,)) for a in apps]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    try:
        assert errors == []
        with apps[0].app_context():
            versions = db.session.execute(text("SELECT version_num FROM alembic_version")).all()
            seq = db.session.execute(text("SELECT value FROM counters WHERE name='seq'")).all()
        assert len(versions) == 1 and seq == [(0,)]
    finally:
        for a in apps:
            with a.app_context():
                db.session.remove()
                db.engine.dispose()
        if backend == "postgresql":
            engine = create_engine(backends.postgres_url())
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA migtest CASCADE"))
            engine.dispose()


def test_bulk_write_reports_a_duplicate_as_a_retryable_race(app: Flask) -> None:
    """Bulk inserts (COPY on PostgreSQL) fail on a duplicate key like any insert."""
    now = datetime.now(UTC)
    rows = [{"code": c, "name": c, "tz": "UTC", "created_at": now} for c in ("AAA", "BBB")]
    with app.app_context():
        with write_connection() as conn:
            bulk_write(conn, posts, rows)
        with pytest.raises(IntegrityError) as caught, write_connection() as conn:
            bulk_write(conn, posts, [dict(rows[1], name="again"), dict(rows[0], code="CCC")])
        assert is_retryable(caught.value)
        with write_connection() as conn:
            names = conn.execute(select(posts.c.name).order_by(posts.c.code)).scalars().all()
    assert names == ["AAA", "BBB"]


def test_bulk_write_stores_times_as_before(app: Flask) -> None:
    """Bulk rows convert a batch's repeated times once; what is stored does not change:
    on SQLite, the text the sqlite3 module's adapter wrote (UTC, with its offset)."""
    at = datetime(2026, 11, 30, 16, 1, 5, 473677, tzinfo=timezone(timedelta(hours=8)))
    later = at + timedelta(microseconds=1)
    rows = [
        {"code": c, "name": c, "tz": "UTC", "created_at": t}
        for c, t in (("TWO", at), ("THR", later), ("FOU", at.astimezone(UTC)))
    ]
    with app.app_context():
        with write_connection() as conn:
            bulk_write(conn, posts, rows)
        with read_snapshot() as conn:
            raw = dict(
                conn.exec_driver_sql(
                    "SELECT code, CAST(created_at AS TEXT) FROM posts "
                    "WHERE code IN ('TWO', 'THR', 'FOU')"
                ).all()
            )
            read = dict(conn.execute(select(posts.c.code, posts.c.created_at)).all())
            sqlite = conn.dialect.name == "sqlite"
    assert raw["TWO"] == raw["FOU"] != raw["THR"]
    if sqlite:
        assert raw["TWO"] == "2026-11-30 08:01:05.473677+00:00"
    assert read["TWO"] == at and read["THR"] == later and read["TWO"].tzinfo == UTC


def test_a_pushed_reports_day_is_stored_as_an_iso_date(world: World) -> None:
    report_id, _ = world.devices["ofc.nnk.1"].create()
    with world.app.app_context(), read_snapshot() as conn:
        (day,) = conn.exec_driver_sql(
            "SELECT CAST(occurred_on AS TEXT) FROM reports WHERE id = ?"
            if conn.dialect.paramstyle == "qmark"
            else "SELECT CAST(occurred_on AS TEXT) FROM reports WHERE id = %s",
            (report_id,),
        ).one()
    # incident() occurred at 2026-11-20T03:15:00+08:00: the post's own day.
    assert day == "2026-11-20"


def _post_count() -> int:
    with read_snapshot() as conn:
        return conn.execute(select(func.count()).select_from(posts)).scalar()


def test_a_write_inside_a_write_is_refused_and_nothing_is_stored(app: Flask) -> None:
    """The write gate is not reentrant: nesting is a clear error on every backend, and the
    outer transaction rolls back (before, a nested SQLite write waited on its own lock)."""
    now = datetime.now(UTC)
    with app.app_context():
        before = _post_count()
        for inner in (write_connection, write_session):
            with pytest.raises(NestedWrite, match="inside another one of the same thread"):
                with write_connection() as conn:
                    conn.execute(
                        insert(posts).values(code="DUM", name="Dumai", tz="UTC", created_at=now)
                    )
                    with inner():
                        pass
            assert _post_count() == before
        # The gate is free again afterwards.
        with write_connection() as conn:
            conn.execute(insert(posts).values(code="DUM", name="Dumai", tz="UTC", created_at=now))
        assert _post_count() == before + 1


def test_write_session_refuses_changes_made_before_it(app: Flask) -> None:
    """Objects added before the block are refused, not committed outside the gate."""
    with app.app_context():
        before = _post_count()
        db.session.add(Post(code="DUM", name="Dumai", tz="UTC", created_at=datetime.now(UTC)))
        with pytest.raises(PendingChanges, match="before write_session"), write_session():
            pass
        assert db.session.new  # left as it was, for the caller to decide
        db.session.rollback()
        assert _post_count() == before
