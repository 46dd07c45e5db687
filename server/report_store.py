"""Loading and writing reports in bulk, inside one write transaction.

The push path touches many reports per batch, so it reads them with one
query and writes them back with one statement per table (executemany),
never an ORM round trip per unit.  This module is the only place that
knows how a report's state maps onto rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection

from server import blob_refs, documents
from server.models import Conflict, Counter, Report, ReportRevision

reports = Report.__table__
revisions = ReportRevision.__table__
conflicts = Conflict.__table__
counters = Counter.__table__

_ROW_COLUMNS = (
    "id",
    "post_code",
    "rev",
    "seq",
    "doc",
    "meta",
    "author",
    "device_id",
    "created_at",
    "review_status",
    "review_note",
    "review_by",
    "review_at",
    "open_conflicts",
    "status_since",
)


@dataclass
class ReportState:
    """A report as the push and review paths work on it in memory."""

    id: str
    row: dict[str, Any]
    device_doc: dict[str, Any]
    meta: dict[str, dict[str, Any]]
    is_new: bool = False
    dirty: bool = False
    revisions: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    # What report_blobs holds for this report, to rewrite it only on change.
    indexed_refs: blob_refs.Refs | None = None

    @property
    def rev(self) -> int:
        """The current revision (0 before creation)."""
        return self.row["rev"]

    @property
    def post(self) -> str:
        """The post whose scope holds the report."""
        return self.row["post_code"]

    @classmethod
    def from_row(cls, row: Any) -> ReportState:
        """Rebuild the state from a ``reports`` row."""
        values = {name: row[name] for name in _ROW_COLUMNS}
        doc = documents.device_part(orjson.loads(values["doc"]))
        refs = blob_refs.refs_of(values["post_code"], doc)
        return cls(row["id"], values, doc, orjson.loads(values["meta"]), indexed_refs=refs)

    @classmethod
    def new(
        cls, report_id: str, post: str, author: str, device_id: str | None, now: datetime
    ) -> ReportState:
        """A report about to be created."""
        row = {
            "id": report_id,
            "post_code": post,
            "rev": 0,
            "seq": None,
            "doc": None,
            "meta": None,
            "author": author,
            "device_id": device_id,
            "created_at": now,
            "review_status": "submitted",
            "review_note": None,
            "review_by": None,
            "review_at": None,
            "open_conflicts": 0,
            "status_since": now,
        }
        return cls(report_id, row, {}, {}, is_new=True, indexed_refs=(post, {}))

    def document(self) -> dict[str, Any]:
        """The full current document, as devices and commanders receive it."""
        return documents.compose(self.id, self.device_doc, self.row)


def load(conn: Connection, ids: Iterable[str], lock: bool) -> dict[str, ReportState]:
    """The reports with these ids that exist, locked for update when ``lock``."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    query = select(*(reports.c[name] for name in _ROW_COLUMNS)).where(reports.c.id.in_(ids))
    if lock:
        # Lock in id order so two batches touching the same reports cannot
        # deadlock each other.
        query = query.order_by(reports.c.id).with_for_update()
    return {row["id"]: ReportState.from_row(row) for row in conn.execute(query).mappings()}


def allocate_seqs(conn: Connection, count: int) -> list[int]:
    """Reserve ``count`` consecutive change-sequence values.

    The counter row is updated inside the caller's write transaction, so its
    lock is held until commit: sequence order is commit order, and a pull
    can never pass a value that a slower transaction commits later.
    """
    if count <= 0:
        return []
    top = conn.execute(
        update(counters)
        .where(counters.c.name == "seq")
        .values(value=counters.c.value + count)
        .returning(counters.c.value)
    ).scalar_one()
    return list(range(top - count + 1, top + 1))


def _row_values(state: ReportState, seq: int, now: datetime) -> dict[str, Any]:
    values = dict(state.row)
    values.update(documents.derived_columns(state.device_doc))
    values["seq"] = seq
    values["doc"] = orjson.dumps(state.document()).decode()
    values["meta"] = orjson.dumps(state.meta).decode()
    values["updated_at"] = now
    return values


def save(conn: Connection, states: Iterable[ReportState], now: datetime) -> None:
    """Write every dirty state: report rows, revisions and conflicts."""
    dirty = [s for s in states if s.dirty]
    if not dirty:
        return
    seqs = allocate_seqs(conn, len(dirty))
    new_rows, changed_rows = [], []
    for state, seq in zip(dirty, seqs, strict=True):
        values = _row_values(state, seq, now)
        state.row["seq"] = seq
        if state.is_new:
            new_rows.append(values)
        else:
            values["b_id"] = values.pop("id")
            changed_rows.append(values)
    if new_rows:
        conn.execute(insert(reports), new_rows)
    if changed_rows:
        # executemany: the SET clause comes from the parameter keys.
        conn.execute(update(reports).where(reports.c.id == bindparam("b_id")), changed_rows)
    revision_rows = [r for s in dirty for r in s.revisions]
    if revision_rows:
        conn.execute(insert(revisions), revision_rows)
    conflict_rows = [c for s in dirty for c in s.conflicts]
    if conflict_rows:
        conn.execute(insert(conflicts), conflict_rows)
    _index_blobs(conn, dirty)
    for state in dirty:
        state.is_new, state.dirty = False, False
        state.revisions, state.conflicts = [], []


def _index_blobs(conn: Connection, dirty: list[ReportState]) -> None:
    """Keep report_blobs in step with the attachments of the written reports."""
    updates = []
    for state in dirty:
        refs = blob_refs.refs_of(state.post, state.device_doc)
        if refs != state.indexed_refs:
            updates.append((state.id, state.is_new, refs))
            state.indexed_refs = refs
    blob_refs.replace(conn, updates)


def revision_row(
    state: ReportState,
    at: datetime,
    by: str,
    device_id: str | None,
    op_id: str | None,
    action: str,
    changes: dict[str, Any],
) -> dict[str, Any]:
    """A ``report_revisions`` row for the state's current revision."""
    return {
        "report_id": state.id,
        "rev": state.rev,
        "at": at,
        "by": by,
        "device_id": device_id,
        "op_id": op_id,
        "action": action,
        "changes": orjson.dumps(changes).decode(),
    }
