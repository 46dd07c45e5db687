"""Row counts and database state around a refused request: nothing may be partly stored."""

from __future__ import annotations

from typing import Any

from flask import Flask

from server.infra.db import db
from server.infra.models import (
    Conflict,
    Device,
    EnrollmentCode,
    OpRecord,
    Report,
    ReportBlob,
    ReportRevision,
)

TABLES = (Report, ReportRevision, OpRecord, Conflict, Device, EnrollmentCode, ReportBlob)


def row_counts(app: Flask) -> dict[str, int]:
    """How many rows each table that a request could write holds."""
    with app.app_context():
        return {t.__tablename__: db.session.query(t).count() for t in TABLES}


def database_state(app: Flask) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table, sorted: equal before and after means nothing changed."""
    with app.app_context():
        return {
            table.name: sorted(
                tuple(str(v) for v in row) for row in db.session.execute(table.select())
            )
            for table in db.metadata.sorted_tables
        }


def assert_problem(resp: Any, status: int, slug: str) -> dict[str, Any]:
    """The response is problem+json with ``status`` and the ``slug`` type; return its body."""
    assert resp.status_code == status, resp.get_data(as_text=True)[:500]
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["type"] == f"urn:patroli:problem:{slug}" and body["status"] == status
    assert body["detail"]
    return body


def assert_still_serving(client: Any) -> None:
    """A follow-up request succeeds."""
    assert client.get("/api/v1/meta").status_code == 200


def live_row_counts(server: Any) -> dict[str, int]:
    """``row_counts`` of a live server's database, its connections closed afterwards."""
    app = server._app()
    try:
        return row_counts(app)
    finally:
        with app.app_context():
            db.engine.dispose()
