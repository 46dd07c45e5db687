"""The hash chain as the server writes it, and checkpoints as the job makes them."""

from __future__ import annotations

from sqlalchemy import select, update

from server.evidence import checkpoints
from server.infra.db import db
from server.infra.models import EvidenceCheckpoint, ReportRevision
from server.infra.transactions import write_connection
from server.jobs.catalog import default_registry
from server.reports import evidence_chain
from sync import chain, signing
from tests.world import World

revisions = ReportRevision.__table__


def _history(world: World, report_id: str) -> list[dict]:
    with world.app.app_context(), db.engine.connect() as conn:
        rows = conn.execute(
            select(revisions).where(revisions.c.report_id == report_id).order_by(revisions.c.rev)
        ).mappings()
        return [
            dict(evidence_chain.hashed_view(r), prev_hash=r["prev_hash"], hash=r["hash"])
            for r in rows
        ]


def test_every_kind_of_revision_is_chained(world: World) -> None:
    a, b = world.devices["ofc.nnk.1"], world.devices["ofc.nnk.2"]
    report_id, _ = a.create()
    b.push(b.op(report_id, {"narrative": "B"}, base_rev=1))
    (lost,) = a.push(a.op(report_id, {"narrative": "A"}, base_rev=1))
    answer = world.client.post(
        f"/api/v1/conflicts/{lost['conflicts'][0]['id']}/resolve",
        json={"choose": "lost"},
        headers=world.token("cmd.nnk"),
    )
    assert answer.status_code == 200
    history = _history(world, report_id)
    assert [r["action"] for r in history] == ["create", "push", "push", "resolve"]
    assert chain.chain_breaks(history) is None
    assert history[0]["prev_hash"] is None


def test_a_history_older_than_the_chain_is_chained_on_the_next_write(world: World) -> None:
    a = world.devices["ofc.nnk.1"]
    report_id, _ = a.create()
    a.push(a.op(report_id, {"narrative": "second"}, base_rev=1))
    with world.app.app_context(), write_connection() as conn:
        # As the migration leaves revisions written before it.
        conn.execute(
            update(revisions)
            .where(revisions.c.report_id == report_id)
            .values(hash=None, prev_hash=None, seq=None)
        )
    a.push(a.op(report_id, {"narrative": "third"}, base_rev=2))
    history = _history(world, report_id)
    assert len(history) == 3 and all(r["hash"] for r in history)
    assert chain.chain_breaks(history) is None


def test_the_job_signs_what_is_new_and_only_that(world: World) -> None:
    a = world.devices["ofc.nnk.1"]
    first, _ = a.create()
    summary = default_registry().run(world.app, "evidence-checkpoint", force=True)
    assert summary == {"checkpoint": 1, "revisions": 1}
    assert default_registry().run(world.app, "evidence-checkpoint", force=True) == {
        "checkpoint": None,
        "revisions": 0,
    }
    a.push(a.op(first, {"narrative": "later"}, base_rev=1))
    a.create()
    assert default_registry().run(world.app, "evidence-checkpoint", force=True) == {
        "checkpoint": 2,
        "revisions": 2,
    }
    with world.app.app_context(), db.engine.connect() as conn:
        rows = (
            conn.execute(
                select(EvidenceCheckpoint.__table__).order_by(EvidenceCheckpoint.__table__.c.id)
            )
            .mappings()
            .all()
        )
        key = world.client.get("/api/v1/meta").get_json()["evidence_key"]
        assert rows[1]["seq_from"] == rows[0]["seq_to"]
        for row in rows:
            leaves = checkpoints.leaves(conn, row["seq_from"], row["seq_to"])
            assert chain.merkle_root([leaf.hash for leaf in leaves]) == row["root"]
            public = signing.load_public_key(key["public_key"])
            signing.verify(public, chain.checkpoint_statement(dict(row)), row["signature"])
