"""Sealing revisions into their report's hash chain as they are written.

``report_store.save`` hands every batch of new revision rows here after it
has taken their change-sequence values, inside the same write transaction
(which holds the reports' locks), so the head of each chain cannot move
underneath.  A report whose history predates the chain (revisions without
a hash) has that history chained first, in order.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, tuple_, update
from sqlalchemy.engine import Connection

from server.infra.models import ReportRevision
from server.reports import row_codec
from sync import chain

revisions = ReportRevision.__table__


def iso(at: datetime) -> str:
    """A revision time as hashed and exported: UTC with microseconds."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _view(row: Any, changes: dict[str, Any], op: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "report_id": row["report_id"],
        "rev": row["rev"],
        "at": iso(row["at"]),
        "by": row["by"],
        "device_id": row["device_id"],
        "op_id": row["op_id"],
        "action": row["action"],
        "changes": changes,
        "op": op,
        "signature": row["signature"],
    }


def hashed_view(row: Any) -> dict[str, Any]:
    """A stored revision row as the JSON values its hash covers."""
    changes, op = row_codec.decoded_revision(row)
    return _view(row, changes, op)


def _heads(conn: Connection, wanted: dict[str, int]) -> dict[str, str | None]:
    """The hash of revision ``wanted[report_id]`` of each report (None when unhashed)."""
    if not wanted:
        return {}
    rows = conn.execute(
        select(revisions.c.report_id, revisions.c.hash).where(
            tuple_(revisions.c.report_id, revisions.c.rev).in_(list(wanted.items()))
        )
    )
    return {row.report_id: row.hash for row in rows}


def backfill(conn: Connection, report_id: str) -> str | None:
    """Chain a report's stored revisions that have no hash yet; the head hash."""
    rows = conn.execute(
        select(revisions).where(revisions.c.report_id == report_id).order_by(revisions.c.rev)
    ).mappings()
    prev = None
    for row in rows:
        # Only the unhashed prefix of a history is filled in: a hashed
        # revision is never rewritten, so tampering stays visible.
        if row["hash"] is None:
            digest = chain.revision_hash(hashed_view(row), prev)
            conn.execute(
                update(revisions)
                .where(revisions.c.id == row["id"])
                .values(prev_hash=prev, hash=digest)
            )
            prev = digest
        else:
            prev = row["hash"]
    return prev


def seal(conn: Connection, states: list[Any]) -> None:
    """Give each new revision row of ``states`` its sequence value and chain hashes."""
    wanted = {
        s.id: s.revisions[0]["rev"] - 1 for s in states if s.revisions and s.revisions[0]["rev"] > 1
    }
    heads = _heads(conn, wanted)
    for state in states:
        if not state.revisions:
            continue
        prev = None
        if state.id in wanted:
            prev = heads.get(state.id)
            if prev is None:
                prev = backfill(conn, state.id)
        for row in state.revisions:
            row["seq"] = state.row["seq"]
            row["prev_hash"] = prev
            # A row not yet written holds its changes and op as JSON values.
            view = _view(row, row["changes"], row["op"])
            row["hash"] = prev = chain.revision_hash(view, prev)
