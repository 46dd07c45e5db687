"""Two checkpoint makers at once (the hourly job and an export): one waits for the other."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import text

from server.evidence import checkpoints
from server.infra.db import db
from server.infra.transactions import write_connection
from tests.world import World


def _waiting_on_a_lock(world: World) -> bool:
    with world.app.app_context(), db.engine.connect() as conn:
        return bool(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar()
        )


def test_a_second_checkpoint_waits_for_the_first(world: World) -> None:
    with world.app.app_context():
        dialect = db.engine.dialect.name
    if dialect != "postgresql":
        pytest.skip("SQLite's write lock serializes writers by itself")
    world.devices["ofc.nnk.1"].create()
    made, release = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def first() -> None:
        with world.app.app_context(), write_connection() as conn:
            outcome["first"] = checkpoints.make(conn)
            made.set()
            release.wait(30)  # committed only once the second maker is waiting

    def second() -> None:
        try:
            with world.app.app_context(), write_connection() as conn:
                outcome["second"] = checkpoints.make(conn)
        except Exception as exc:  # noqa: BLE001 - the failure this test is about
            outcome["second"] = exc

    a = threading.Thread(target=first)
    a.start()
    assert made.wait(30)
    b = threading.Thread(target=second)
    b.start()
    # Observed, not timed: the second maker is blocked on the first one's lock.
    for _ in range(1500):
        if _waiting_on_a_lock(world):
            break
        release.wait(0.01)
    else:
        pytest.fail("the second checkpoint maker never waited for the first")
    release.set()
    a.join(30)
    b.join(30)
    assert outcome["first"]["id"] == 1
    assert outcome["second"] is None  # nothing new since the first: no error, no duplicate
