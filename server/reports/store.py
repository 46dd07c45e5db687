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
from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from server.detection import entries as person_entries
from server.detection import index as person_index
from server.infra.bulk import bulk_write
from server.infra.models import Conflict, Counter, Report, ReportRevision
from server.reports import blob_refs, evidence_chain, row_codec
from server.reports import document as documents
from sync import hlc as sync_hlc
from sync import signing

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


#: Where the node (the device id, for a device's op) starts in an HLC string.
_NODE_AT = sync_hlc.MS_DIGITS + 7


def _stamp_key(stamp: dict[str, Any]) -> tuple[Any, ...]:
    """A stamp as stored: ``[r, h, b]`` when its device is its HLC's node, else ``[r, h, d, b]``."""
    r, h, d, b = stamp["r"], stamp["h"], stamp["d"], stamp["b"]
    # The server puts the pushing device's id in the node of an op's HLC
    # (server.reports.push): the device is then read back from the HLC.
    if (
        type(h) is str
        and type(d) is str
        and h[_NODE_AT:] == d
        and h[_NODE_AT - 1 : _NODE_AT] == "-"
    ):
        return (r, h, b)
    return (r, h, d, b)


def encode_meta(meta: dict[str, dict[str, Any]]) -> str:
    """Per-unit merge metadata as stored: each distinct stamp once.

    An op stamps every unit it writes alike, so a report's units share a
    few stamps; ``[[stamp, ...], {unit: index}]`` is a fifth of the plain
    ``{unit: stamp}`` form.  A stamp with other keys than r/h/d/b is kept
    whole under its unit, so nothing is ever lost.
    """
    stamps: list[tuple[Any, ...]] = []
    index: dict[tuple[Any, ...], int] = {}
    units: dict[str, Any] = {}
    last, last_i = None, 0
    for unit, stamp in meta.items():
        if stamp is last:  # units of one op share their stamp (sync.merge)
            units[unit] = last_i
            continue
        if len(stamp) != 4 or not ("r" in stamp and "h" in stamp and "d" in stamp and "b" in stamp):
            units[unit] = stamp
            continue
        key = _stamp_key(stamp)
        i = index.get(key)
        if i is None:
            i = index[key] = len(stamps)
            stamps.append(key)
        units[unit] = i
        last, last_i = stamp, i
    return orjson.dumps([stamps, units]).decode()


def _stamp(key: list[Any]) -> dict[str, Any]:
    if len(key) == 3:
        r, h, b = key
        return {"r": r, "h": h, "d": h[_NODE_AT:], "b": b}
    r, h, d, b = key
    return {"r": r, "h": h, "d": d, "b": b}


def decode_meta(text: str) -> dict[str, dict[str, Any]]:
    """The metadata back in ``sync.merge``'s form (also reads the plain form)."""
    data = orjson.loads(text)
    if isinstance(data, dict):
        return data
    stamps, units = data
    shared = [_stamp(key) for key in stamps]
    return {unit: shared[i] if type(i) is int else i for unit, i in units.items()}


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
    # What the person index last read of this report (server.detection).
    persons_sig: bytes | None = None
    # The device whose own ops, all applied cleanly, are the only change
    # this write makes (server.reports.pull skips it for that device).
    echo_device: str | None = None

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
        full = orjson.loads(values["doc"])
        doc = documents.device_part(full)
        refs = blob_refs.refs_of(values["post_code"], doc)
        sig = person_entries.signature(values["post_code"], doc)
        meta = decode_meta(values["meta"])
        return cls(row["id"], values, doc, meta, indexed_refs=refs, persons_sig=sig)

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


def load(conn: Connection, ids: Iterable[str], lock: bool = True) -> dict[str, ReportState]:
    """The reports with these ids that exist, locked for update unless ``lock`` is false.

    On PostgreSQL the rows are locked (``SELECT ... FOR UPDATE``); on SQLite,
    whose write transaction already excludes every other writer, the clause
    renders to nothing.
    """
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


def _row_values(state: ReportState, now: datetime) -> dict[str, Any]:
    """The ``reports`` row of a state (without ``seq``)."""
    values = dict(state.row)
    values.update(documents.derived_columns(state.device_doc))
    values["doc"] = documents.stored_text(state.document())
    values["meta"] = encode_meta(state.meta)
    values["updated_at"] = now
    return values


def save(conn: Connection, states: Iterable[ReportState], now: datetime) -> None:
    """Write every dirty state: report rows, revisions and conflicts."""
    dirty = [s for s in states if s.dirty]
    if not dirty:
        return
    # Rows are built before the sequence is taken: from allocate_seqs to
    # commit, every other writer waits for the counter row.
    rows = [_row_values(state, now) for state in dirty]
    seqs = allocate_seqs(conn, len(dirty))
    for state, values, seq in zip(dirty, rows, seqs, strict=True):
        state.row["seq"] = values["seq"] = seq
        # Every write sets both: a write that is not a clean echo clears them.
        values["echo_device_id"] = state.echo_device
        values["echo_seq"] = seq if state.echo_device else None
    bulk_write(conn, reports, [v for s, v in zip(dirty, rows, strict=True) if s.is_new])
    bulk_write(conn, reports, [v for s, v in zip(dirty, rows, strict=True) if not s.is_new], "id")
    evidence_chain.seal(conn, dirty)
    bulk_write(conn, revisions, [row_codec.stored_revision(r) for s in dirty for r in s.revisions])
    bulk_write(conn, conflicts, [c for s in dirty for c in s.conflicts])
    _index_blobs(conn, dirty)
    # After the sequence is taken, on purpose: every writer holds the counter
    # row until commit, so this transaction's matching sees every person a
    # concurrent writer committed before it (no link is missed on PostgreSQL).
    person_index.refresh(conn, dirty)
    for state in dirty:
        state.is_new, state.dirty, state.echo_device = False, False, None
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
    *,
    at: datetime,
    by: str,
    action: str,
    changes: dict[str, Any],
    device_id: str | None = None,
    op_id: str | None = None,
    signed: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A ``report_revisions`` row for the state's current revision.

    ``signed`` is the device op behind it, as sent (with its ``signature``
    when the device signs); ``save`` adds the chain hashes.  ``changes``
    and ``op`` stay JSON values until ``save`` writes them in their stored
    form (``row_codec``).
    """
    return {
        "report_id": state.id,
        "rev": state.rev,
        "at": at,
        "by": by,
        "device_id": device_id,
        "op_id": op_id,
        "action": action,
        "changes": changes,
        "op": signing.signed_part(signed) if signed else None,
        "signature": signed.get("signature") if signed else None,
    }
