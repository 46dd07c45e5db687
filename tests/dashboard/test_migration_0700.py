"""Migration 0700 fills the count tables from the reports already stored, on both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime

from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from server.infra.db import MIGRATIONS_DIR, db
from tests.dashboard.test_aggregate_counts import recount, stored

# (id, post, kind, day, status, destination, modus, retracted, persons, victims)
ROWS = [
    ("r1", "NNK", "incident", "2026-10-30", "submitted", "MY", "fake_job_offer", False, 2, 1),
    ("r2", "NNK", "incident", "2026-11-01", "submitted", "MY", "fake_job_offer", False, 3, 2),
    ("r3", "NNK", "patrol", "2026-11-02", "approved", None, "", False, 0, 0),
    ("r4", "DUM", "incident", "2026-11-02", "approved", "SG", "other,transit_route", False, 1, 1),
    ("r5", "DUM", "incident", "2026-11-02", "approved", "SG", "other", True, 4, 4),
    ("r6", "DUM", "incident", None, "rejected", None, None, False, 1, 0),
]


def _insert_reports(now: datetime) -> None:
    """Reports rows as the revision before 0700 stores them (raw SQL, no model)."""
    with db.engine.begin() as conn:
        for post in ("NNK", "DUM"):
            conn.execute(
                text("INSERT INTO posts (code, name, tz, created_at) VALUES (:c, :c, 'UTC', :now)"),
                {"c": post, "now": now},
            )
        for seq, row in enumerate(ROWS, start=1):
            rid, post, kind, day, status, dest, modus, retracted, persons, victims = row
            conn.execute(
                text(
                    "INSERT INTO reports (id, post_code, kind, rev, seq, doc, meta, author, "
                    "created_at, updated_at, review_status, retracted, open_conflicts, "
                    "occurred_on, destination_country, modus_key, persons, victims) VALUES "
                    "(:id, :post, :kind, 1, :seq, '{}', '{}', 'ofc', :now, :now, :status, "
                    ":retracted, 0, :day, :dest, :modus, :persons, :victims)"
                ),
                {
                    "id": rid,
                    "post": post,
                    "kind": kind,
                    "seq": seq,
                    "now": now,
                    "status": status,
                    "retracted": retracted,
                    "day": day,
                    "dest": dest,
                    "modus": modus,
                    "persons": persons,
                    "victims": victims,
                },
            )


def test_upgrade_backfills_counts_and_downgrade_undoes_it(app: Flask) -> None:
    """Rows stored before 0700 are counted by it, and triggers keep counting after."""
    before = ScriptDirectory(MIGRATIONS_DIR).get_revision("0700").down_revision
    with app.app_context():
        downgrade(directory=MIGRATIONS_DIR, revision=before)
        _insert_reports(datetime(2026, 11, 21, tzinfo=UTC))
        upgrade(directory=MIGRATIONS_DIR)
    counts = stored(app)
    assert counts == recount(app)
    assert sum(c[0] for c in counts["aggregate_cells"].values()) == 5  # r5 is retracted
    # r1 and r2 share an ISO week but not a month: two periods.
    nnk = {
        k[0] for k in counts["aggregate_post_periods"] if k[1:] == ("submitted", "NNK", "incident")
    }
    assert nnk == {date(2026, 10, 26), date(2026, 11, 1)}
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("UPDATE reports SET review_status = 'approved' WHERE id = 'r1'"))
        conn.execute(text("DELETE FROM reports WHERE id = 'r4'"))
    assert stored(app) == recount(app)
