"""Sealing revisions into their report's hash chain as they are written.

``report_store.save`` hands every batch of new revision rows here after it
has taken their change-sequence values, inside the same write transaction
(which holds the reports' locks), so the head of each chain cannot move
underneath.  A report whose history predates the chain (revisions without
a hash) has that history chained first, in order.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from server.infra.models import ReportRevision
from server.reports import row_codec
from sync import chain
from sync.signing import canonical

revisions = ReportRevision.__table__

#: Key under which a new revision row may carry the canonical bytes of its op
#: (``sync.signing.op_message``), made once when the push checked the op's
#: signature; ``seal`` takes it off the row before the row is stored.
OP_BYTES = "_op_canonical"
# chain.REVISION_KEYS and "prev" in RFC 8785 order, on either side of "op":
# the hashed object is spliced around the op's bytes instead of encoding
# the op a second time (tests check the result against chain.revision_hash).
_BEFORE_OP = ("action", "at", "by", "changes", "device_id")
_AFTER_OP = ("op_id", "prev", "report_id", "rev", "signature")


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
    # By report id, the revision picked here: SQLite plans a row-value IN
    # over (report_id, rev) pairs as a scan of every revision (0.6 s per
    # batch with an edit at a million reports), where an IN over report ids
    # searches the (report_id, rev) index.
    rows = conn.execute(
        select(revisions.c.report_id, revisions.c.rev, revisions.c.hash).where(
            revisions.c.report_id.in_(list(wanted))
        )
    )
    return {row.report_id: row.hash for row in rows if row.rev == wanted[row.report_id]}


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


def _sealed_hash(row: dict[str, Any], at: str, prev: str | None, op: bytes | None) -> str:
    """``chain.revision_hash(hashed_view(row), prev)``, with the op's canonical bytes given."""
    # A row not yet written holds its changes and op as JSON values.
    if op is None:
        op = b"null" if row["op"] is None else canonical(row["op"])
    view = dict(row, at=at, prev=prev)
    head = canonical({key: view[key] for key in _BEFORE_OP})
    tail = canonical({key: view[key] for key in _AFTER_OP})
    return hashlib.sha256(head[:-1] + b',"op":' + op + b"," + tail[1:]).hexdigest()


def seal(conn: Connection, states: list[Any]) -> None:
    """Give each new revision row of ``states`` its sequence value and chain hashes."""
    wanted = {
        s.id: s.revisions[0]["rev"] - 1 for s in states if s.revisions and s.revisions[0]["rev"] > 1
    }
    heads = _heads(conn, wanted)
    # A batch's revisions share a few times (its "now"): each formatted once.
    times: dict[datetime, str] = {}
    for state in states:
        if not state.revisions:
            continue
        prev = None
        if state.id in wanted:
            prev = heads.get(state.id)
            if prev is None:
                prev = backfill(conn, state.id)
        for row in state.revisions:
            at = times.get(row["at"])
            if at is None:
                at = times[row["at"]] = iso(row["at"])
            row["seq"] = state.row["seq"]
            row["prev_hash"] = prev
            row["hash"] = prev = _sealed_hash(row, at, prev, row.pop(OP_BYTES, None))
