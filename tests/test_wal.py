"""SQLite's write-ahead log stays bounded under sustained pushing (issue 13).

Before, every request's session kept the snapshot of its authentication
read open while its write committed, so the checkpoint SQLite runs at
commit never reached the end of the log and the log never started over:
it grew by every batch (11.4 GB at 300,000 reports).
"""

from __future__ import annotations

import dataclasses
import logging
import random
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import insert, select

from bench import records
from server.infra.db import db
from server.infra.models import Post
from server.infra.transactions import read_snapshot, write_connection
from tests.world import World

posts = Post.__table__

#: The reset threshold the tests configure: small, so a few hundred reports cross it.
THRESHOLD = 256 * 1024
#: What the log may reach: the threshold plus what one batch of the test writes
#: (a batch of 20 realistic reports writes well under a MiB of pages).
BOUND = 4 * 1024 * 1024


def _wal(app: Flask) -> Path:
    return Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///") + "-wal")


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


@pytest.fixture
def sqlite_app(app: Flask) -> Flask:
    """The app on its SQLite file, with a small log-reset threshold."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        pytest.skip("the write-ahead log is SQLite's")
    app.config["PATROLI_WAL_CHECKPOINT_BYTES"] = THRESHOLD
    return app


def test_the_wal_stays_bounded_while_pushing_with_a_concurrent_puller(
    sqlite_app: Flask, world: World
) -> None:
    """1,200 realistic reports pushed in batches of 20 while another device pulls
    again and again: the log never grows past the bound (it grew without limit)."""
    wal = _wal(sqlite_app)
    pusher = world.devices["ofc.nnk.1"]
    # Its own test client: the puller runs in another thread.
    puller = dataclasses.replace(world.devices["ofc.nnk.2"], client=sqlite_app.test_client())
    ops = records.DeviceOps(pusher.device_id, random.Random(13))
    done = threading.Event()
    pulled: list[int] = []
    seen: list[int] = []

    def pull_until_done() -> None:
        for _ in range(100_000):
            if done.is_set():
                return
            resp = puller.client.get("/api/v1/sync/pull", headers=puller.headers)
            assert resp.status_code == 200
            pulled.append(len(resp.get_json()["changes"]))
            seen.append(_size(wal))

    reader = threading.Thread(target=pull_until_done)
    reader.start()
    try:
        for _ in range(60):
            resp = pusher.push_raw(ops.creations(20))
            assert resp.status_code == 200
            assert all(r["status"] == "applied" for r in resp.get_json()["results"])
            seen.append(_size(wal))
    finally:
        done.set()
        reader.join(timeout=60)
    assert not reader.is_alive()
    assert pulled and max(pulled) > 0  # the puller really read while the pushes ran
    assert max(seen) <= BOUND, f"WAL reached {max(seen)} bytes"


def test_a_session_read_holds_no_snapshot_past_its_statement(app: Flask) -> None:
    """A request's reads through the session see a commit made since their first read,
    as on PostgreSQL (before, SQLite's session kept its first snapshot until the
    request ended, which is what kept the log from ever starting over)."""
    with app.app_context():
        before = db.session.execute(select(Post.code)).scalars().all()
        with write_connection() as conn:
            conn.execute(
                insert(posts).values(code="ZZZ", name="Z", tz="UTC", created_at=datetime.now(UTC))
            )
        after = db.session.execute(select(Post.code)).scalars().all()
        db.session.rollback()
    assert sorted(after) == sorted([*before, "ZZZ"])


def test_a_reset_blocked_by_a_reader_is_logged_and_done_by_the_next_write(
    sqlite_app: Flask, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """A reader that outlasts the reset's wait leaves the log as it is, with a warning,
    and is not waited for again until the log has grown by the threshold; the
    first such write after the reader has ended resets the log."""
    sqlite_app.config["PATROLI_WAL_CHECKPOINT_WAIT_MS"] = 50
    caplog.set_level(logging.WARNING, logger="patroli.wal")
    wal = _wal(sqlite_app)
    device = world.devices["ofc.nnk.1"]
    ops = records.DeviceOps(device.device_id, random.Random(7))
    with sqlite_app.app_context(), read_snapshot() as reader:
        reader.execute(select(posts.c.code)).all()  # the snapshot starts at the first read
        for _ in range(3):
            assert device.push_raw(ops.creations(20)).status_code == 200
        held = _size(wal)
        assert held >= THRESHOLD
        warnings = [r for r in caplog.records if r.name == "patroli.wal"]
        assert warnings and all(r.levelno == logging.WARNING for r in warnings)
        assert "readers still use older snapshots" in warnings[0].getMessage()
        # A write that grows the log by less than the threshold since the
        # failed try does not try (and wait) again.
        with write_connection() as conn:
            conn.execute(
                insert(posts).values(code="ZZZ", name="Z", tz="UTC", created_at=datetime.now(UTC))
            )
        assert _size(wal) < held + THRESHOLD
        assert len([r for r in caplog.records if r.name == "patroli.wal"]) == len(warnings)
    assert device.push_raw(ops.creations(20)).status_code == 200
    assert _size(wal) == 0
