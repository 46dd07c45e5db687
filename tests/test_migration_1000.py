"""Migration 1000 rewrites stored revisions and op records in their short forms.

Rows written before it (full forms: ``changes`` repeating the op, ``op``
and ``result`` repeating their row's ids) are rewritten; every value reads
back the same, every hash chain still holds, a replay still answers the
first answer, and a downgrade writes the full forms back.
"""

from __future__ import annotations

from typing import Any

import orjson
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select, text

from server.infra.db import MIGRATIONS_DIR, db
from server.infra.models import OpRecord, Report, ReportRevision
from server.reports import evidence_chain, store
from sync import chain
from tests.world import World, incident, new_id

revisions = ReportRevision.__table__
ops = OpRecord.__table__
reports = Report.__table__


def _stored(app: Flask) -> dict[str, Any]:
    with app.app_context():
        revs = db.session.execute(
            select(revisions).order_by(revisions.c.report_id, revisions.c.rev)
        ).mappings()
        rows = [dict(r) for r in revs]
        results = dict(db.session.execute(select(ops.c.op_id, ops.c.result)).all())
        metas = dict(db.session.execute(select(reports.c.id, reports.c.meta)).all())
        db.session.rollback()
    return {"revisions": rows, "results": results, "meta": metas}


def _without_rowid(app: Flask) -> bool | None:
    """Whether person_name_keys is a WITHOUT ROWID table (None off SQLite)."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            return None
        with db.engine.connect() as conn:
            sql = conn.execute(
                text("SELECT sql FROM sqlite_master WHERE name = 'person_name_keys'")
            ).scalar_one()
    return "WITHOUT ROWID" in sql


def _person_keys(app: Flask) -> list[tuple[Any, ...]]:
    with app.app_context():
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT * FROM person_name_keys ORDER BY 1, 2, 3, 4")).all()
    return [tuple(r) for r in rows]


def _chains_hold(rows: list[dict[str, Any]]) -> None:
    by_report: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        view = dict(evidence_chain.hashed_view(row), prev_hash=row["prev_hash"], hash=row["hash"])
        by_report.setdefault(row["report_id"], []).append(view)
    for report_id, views in by_report.items():
        assert chain.chain_breaks(views) is None, report_id


def _views(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [evidence_chain.hashed_view(r) for r in rows]


def test_rows_are_rewritten_short_and_read_back_the_same(app: Flask, world: World) -> None:
    one, two = world.devices["ofc.nnk.1"], world.signing_device("ofc.nnk.2")
    rid, _ = one.create()
    signed_id = new_id()
    named = {"p1": {"role": "victim", "sex": "F", "age": 16, "name": "Siti Aminah"}}
    two.push(two.op(signed_id, incident(title="Signed", persons=named)))
    # Two edits of one unit on the same base: the later clock wins, the other
    # leaves a conflict in its result (a result that is not all defaults).
    one.push(one.op(rid, {"route": "Sebuku river"}, base_rev=1))
    first = two.push_raw([two.op(rid, {"route": "Sungai Pancang"}, base_rev=1)]).get_json()
    replayed_change = two.op(rid, {"narrative": "Later."}, base_rev=2)
    (answer,) = two.push(replayed_change)
    assert first["results"][0]["conflicts"]
    short = _stored(app)
    keys = _person_keys(app)
    assert keys and _without_rowid(app) in (True, None)
    history = world.report(rid)["history"]

    with app.app_context():
        before = ScriptDirectory(MIGRATIONS_DIR).get_revision("1000").down_revision
        downgrade(directory=MIGRATIONS_DIR, revision=before)
    try:
        full = _stored(app)
        for row in full["revisions"]:
            if row["op"] is not None:
                assert isinstance(orjson.loads(row["changes"]), dict)
                assert orjson.loads(row["op"])["op_id"] == row["op_id"]
        assert all(orjson.loads(r)["op_id"] for r in full["results"].values())
        assert _views(full["revisions"]) == _views(short["revisions"])
        assert _without_rowid(app) in (False, None) and _person_keys(app) == keys
        for report_id, meta in full["meta"].items():
            # The form before 1000: every stamp with its four values.
            assert all(len(stamp) == 4 for stamp in orjson.loads(meta)[0])
            assert store.decode_meta(meta) == store.decode_meta(short["meta"][report_id])
    finally:
        with app.app_context():
            upgrade(directory=MIGRATIONS_DIR)
    again = _stored(app)
    assert again == short
    pushed = [r for r in again["revisions"] if r["op"] is not None]
    assert pushed and all(isinstance(orjson.loads(r["changes"]), list) for r in pushed)
    assert not any("op_id" in orjson.loads(r) for r in again["results"].values())
    assert any(len(stamp) == 3 for m in again["meta"].values() for stamp in orjson.loads(m)[0])
    _chains_hold(again["revisions"])
    assert _without_rowid(app) in (True, None) and _person_keys(app) == keys
    assert world.report(rid)["history"] == history
    (replay,) = two.push(replayed_change)
    assert replay == dict(answer, replayed=True)
    with app.app_context():
        count = db.session.execute(select(func.count()).select_from(revisions)).scalar()
    assert count == len(short["revisions"])
