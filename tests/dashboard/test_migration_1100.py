"""Migration 1100 re-keys the post periods, keeping their rows and the triggers that keep them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from server.aggregates.cells import _select, post_periods
from server.infra.db import MIGRATIONS_DIR, db
from tests.dashboard.test_aggregate_counts import recount, stored
from tests.dashboard.test_migration_0700 import _insert_reports

OLD_KEY = ["period", "review_status", "post_code", "kind"]
NEW_KEY = ["period", "post_code", "kind", "review_status"]


def _key() -> list[str]:
    """The primary key columns of aggregate_post_periods, in key order."""
    with db.engine.connect() as conn:
        return inspect(conn).get_pk_constraint("aggregate_post_periods")["constrained_columns"]


def _change_reports() -> None:
    """Writes that add to an existing cell, move a report between cells and empty one."""
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO reports (id, post_code, kind, rev, seq, doc, meta, author, "
                "created_at, updated_at, review_status, retracted, open_conflicts, occurred_on, "
                "persons, victims) SELECT id || 'x', post_code, kind, rev, seq + 100, doc, meta, "
                "author, created_at, updated_at, review_status, retracted, open_conflicts, "
                "occurred_on, persons, victims FROM reports WHERE id = 'r2'"
            )
        )
        conn.execute(text("UPDATE reports SET review_status = 'approved' WHERE id = 'r1'"))
        conn.execute(text("DELETE FROM reports WHERE id = 'r3'"))


def test_upgrade_rekeys_and_downgrade_restores(app: Flask) -> None:
    """Rows survive both ways, and the triggers keep counting in either key order."""
    with app.app_context():
        downgrade(directory=MIGRATIONS_DIR, revision="1000")
        _insert_reports(datetime(2026, 11, 21, tzinfo=UTC))
        before = stored(app)
        assert before == recount(app) and before["aggregate_post_periods"]
        assert _key() == OLD_KEY
        upgrade(directory=MIGRATIONS_DIR, revision="1100")
        assert _key() == NEW_KEY
        assert stored(app) == before
        _change_reports()
        assert stored(app) == recount(app) != before
        downgrade(directory=MIGRATIONS_DIR, revision="1000")
        assert _key() == OLD_KEY
        assert stored(app) == recount(app)
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE reports SET review_status = 'rejected' WHERE id = 'r2'"))
        assert stored(app) == recount(app)
        upgrade(directory=MIGRATIONS_DIR)
        assert _key() == NEW_KEY and stored(app) == recount(app)


def test_post_groupings_read_the_table_in_key_order(app: Flask) -> None:
    """Grouped by period and post (and kind), SQLite reads the rows already grouped: no sort."""
    with app.app_context(), db.engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            pytest.skip("PostgreSQL plans its own grouping (a hash); the key order is SQLite's")
        for keys in (("post_code",), ("post_code", "kind")):
            query = _select(post_periods, keys, True, [])
            sql = str(query.compile(conn, compile_kwargs={"literal_binds": True}))
            plan = " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
            assert "SCAN aggregate_post_periods" in plan and "TEMP B-TREE" not in plan, plan
