"""Migration 0100 fills the new columns of reports that existed before it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
from flask_migrate import upgrade
from sqlalchemy import text

from server import create_app
from server.infra.db import MIGRATIONS_DIR, db
from tests.world import incident


def test_upgrade_backfills_derived_columns(tmp_path: Path) -> None:
    """A report stored at revision 0002 gets its counts, day and waiting time at 0100."""
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite3'}", "SECRET_KEY": "test"}
    )
    doc = {
        "id": "r1",
        **incident(
            persons={
                "a": {"role": "victim", "sex": "F", "age": 15},
                "b": {"role": "suspect", "sex": "M", "age": 40},
            }
        ),
    }
    now = datetime(2026, 11, 21, tzinfo=UTC)
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR, revision="0002")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO posts (code, name, tz, created_at) "
                    "VALUES ('NNK', 'Nunukan', 'Asia/Makassar', :now)"
                ),
                {"now": now},
            )
            conn.execute(
                text(
                    "INSERT INTO reports (id, post_code, kind, rev, seq, doc, meta, author, "
                    "created_at, updated_at, review_status, retracted, open_conflicts) VALUES "
                    "('r1', 'NNK', 'incident', 1, 1, :doc, '{}', 'ofc', :now, :now, "
                    "'submitted', 0, 0)"
                ),
                {"doc": orjson.dumps(doc).decode(), "now": now},
            )
        upgrade(directory=MIGRATIONS_DIR, revision="0100")
        with db.engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT occurred_on, persons, victims, victims_minor, victims_female, "
                    "suspects, modus_key, destination_country, status_since FROM reports"
                )
            ).one()
            counters = dict(conn.execute(text("SELECT name, value FROM counters")).all())
        db.engine.dispose()
    assert tuple(row[:8]) == (
        "2026-11-20",
        2,
        1,
        1,
        1,
        1,
        "fake_job_offer,unofficial_crossing",
        "MY",
    )
    assert row[8] is not None
    assert counters["rollup_seq"] == 0 and counters["rollup_cutoff"] == 0
