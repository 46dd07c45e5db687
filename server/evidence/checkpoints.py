"""Signed checkpoints: a Merkle root over the revisions of a period, every hour.

A checkpoint covers the revisions committed under a range of the change
sequence, from just after the previous checkpoint to the counter's
committed value.  The counter row is updated inside every write and locked
until commit, so every revision at or below the value read has committed:
a slow transaction can never commit a revision into a range that was
already signed.  Revisions written before the chain existed (no sequence
value) belong to no checkpoint.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection

from server.evidence import keys
from server.infra.clock import utcnow
from server.infra.db import insert_if_absent
from server.infra.models import Counter, EvidenceCheckpoint, ReportRevision
from server.reports.evidence_chain import iso
from sync import chain

checkpoints = EvidenceCheckpoint.__table__
revisions = ReportRevision.__table__
counters = Counter.__table__

#: The order of leaves in a checkpoint's tree.
LEAF_ORDER = (revisions.c.seq, revisions.c.report_id, revisions.c.rev)


def leaves(conn: Connection, seq_from: int, seq_to: int) -> list[Any]:
    """The revisions a checkpoint over ``(seq_from, seq_to]`` covers, in leaf order."""
    return conn.execute(
        select(revisions.c.report_id, revisions.c.rev, revisions.c.hash)
        .where(revisions.c.seq > seq_from, revisions.c.seq <= seq_to)
        .order_by(*LEAF_ORDER)
    ).all()


def _serialize(conn: Connection) -> None:
    """Hold the ``checkpoint`` counter row until commit: one checkpoint maker at a time.

    The hourly job and case-file exports (in any process) both make
    checkpoints; without this, two on PostgreSQL read the same last
    checkpoint and the second fails on its id.  SQLite's write lock already
    serializes them.
    """
    conn.execute(insert_if_absent(counters).values(name="checkpoint", value=0))
    conn.execute(
        update(counters).where(counters.c.name == "checkpoint").values(value=counters.c.value + 1)
    )


def make(conn: Connection) -> dict[str, Any] | None:
    """Sign a checkpoint over the revisions since the last one; None when there are none."""
    _serialize(conn)
    last = (
        conn.execute(select(checkpoints).order_by(checkpoints.c.id.desc()).limit(1))
        .mappings()
        .first()
    )
    seq_from = last["seq_to"] if last else 0
    seq_to = conn.execute(
        select(func.coalesce(func.max(counters.c.value), 0)).where(counters.c.name == "seq")
    ).scalar_one()
    covered = leaves(conn, seq_from, seq_to)
    if not covered:
        return None
    key = keys.current(conn)
    checkpoint = {
        "id": (last["id"] + 1) if last else 1,
        "seq_from": seq_from,
        "seq_to": seq_to,
        "period_start": last["period_end"] if last else None,
        "period_end": iso(utcnow()),
        "count": len(covered),
        "root": chain.merkle_root([row.hash for row in covered]),
        "key_id": key.id,
    }
    checkpoint["signature"] = key.sign(chain.checkpoint_statement(checkpoint))
    conn.execute(checkpoints.insert().values(**checkpoint))
    return checkpoint
