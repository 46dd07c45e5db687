"""The report_blobs index: kept by every write, rebuilt by its migration."""

from __future__ import annotations

from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import delete, select

from server.infra.db import MIGRATIONS_DIR, db
from server.infra.models import ReportBlob
from server.infra.transactions import write_connection
from tests.world import World, incident

A, B = "a" * 64, "b" * 64


def _index(app: Flask) -> set[tuple[str, str, str, str]]:
    with app.app_context():
        rows = db.session.execute(select(ReportBlob.__table__)).all()
    return {tuple(r) for r in rows}


def test_index_follows_pushes_and_reviews(app: Flask, world: World) -> None:
    """Creation, edits, element removal and a review keep exactly the current references."""
    dev = world.devices["ofc.nnk.1"]
    report_id, _ = dev.create(incident(attachments={A: {"mime": "image/png", "bytes": 5}}))
    assert _index(app) == {(report_id, A, "NNK", "image/png")}
    dev.push(
        dev.op(
            report_id,
            {f"attachments.{B}": {"mime": "application/pdf", "bytes": 9}},
            dev.revs[report_id],
        )
    )
    dev.push(dev.op(report_id, {f"attachments.{A}": None}, dev.revs[report_id]))
    assert _index(app) == {(report_id, B, "NNK", "application/pdf")}
    resp = world.client.post(
        f"/api/v1/reports/{report_id}/review",
        json={"status": "approved", "rev": dev.revs[report_id]},
        headers=world.token("cmd.nnk"),
    )
    assert resp.status_code == 200
    assert _index(app) == {(report_id, B, "NNK", "application/pdf")}


def test_rejected_op_indexes_nothing(app: Flask, world: World) -> None:
    """An op refused for a bad attachment element leaves no index row."""
    dev = world.devices["ofc.nnk.1"]
    report_id, _ = dev.create()
    (result,) = dev.push(
        dev.op(
            report_id, {f"attachments.{A}": {"mime": "text/html", "bytes": 1}}, dev.revs[report_id]
        )
    )
    assert result["status"] == "rejected" and _index(app) == set()


def test_migration_backfills_existing_attachments(app: Flask, world: World) -> None:
    """Re-running the 0200 migration indexes reports written before it."""
    dev = world.devices["ofc.dum.1"]
    report_id, _ = dev.create(incident(attachments={A: {"mime": "image/jpeg", "bytes": 5}}))
    with app.app_context():
        with write_connection() as conn:
            conn.execute(delete(ReportBlob.__table__))
        downgrade(directory=MIGRATIONS_DIR, revision="0002")
        upgrade(directory=MIGRATIONS_DIR)
        db.engine.dispose()
    assert _index(app) == {(report_id, A, "DUM", "image/jpeg")}
