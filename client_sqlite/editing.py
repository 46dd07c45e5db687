"""Officers' local edits: validated offline, written with their outbox entry at once.

A new report or an edit is checked with the same schemas the server uses,
so an officer learns about a missing field at the border post, not days
later.  The local document, the outbox entry and the HLC are written in
one transaction: there is no moment where one exists without the other.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson
import uuid6

from client_sqlite.acknowledged import listing_columns
from client_sqlite.store import Store, now_iso
from sync import document, report_schema, signing
from sync.units import UnitError, apply_units, expand
from sync.vocab import KINDS


class LocalValidationError(ValueError):
    """The edit is not valid; ``errors`` says why, per field, in plain words."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{k} {' and '.join(v)}" for k, v in errors.items()))


def _expand(fields: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(fields, dict):
        raise LocalValidationError({"fields": ["must be a JSON object"]})
    try:
        units = expand(fields)
    except UnitError as exc:
        raise LocalValidationError(exc.errors) from None
    errors = report_schema.validate_units(units)
    if errors:
        raise LocalValidationError(errors)
    return units


def new_document(kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The document a new report of ``kind`` would have; LocalValidationError if invalid."""
    if kind not in KINDS:
        raise LocalValidationError({"kind": ["must be one of: " + ", ".join(KINDS)]})
    doc = apply_units({}, _expand(_wire_fields(kind, fields)).items())
    errors = report_schema.required_errors(doc)
    if errors:
        raise LocalValidationError(errors)
    return doc


def _wire_fields(kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The fields of a creation as sent: the kind given, never a client-chosen id."""
    if not isinstance(fields, dict):
        raise LocalValidationError({"fields": ["must be a JSON object"]})
    wire = dict(fields, kind=kind)
    wire.pop("id", None)
    return wire


def create(store: Store, kind: str, fields: dict[str, Any], report_id: str | None = None) -> str:
    """Record a new report offline; return its client-generated id."""
    doc = new_document(kind, fields)
    fields = _wire_fields(kind, fields)
    report_id = report_id or str(uuid6.uuid7())
    post = store.device()["post"]
    if post:
        doc.setdefault("post", post)
    doc = {"id": report_id, **doc}
    with store.atomic() as c:
        hlc = store.tick(c)
        _write(c, report_id, doc)
        _enqueue(c, store, report_id, None, hlc, fields)
    return report_id


def edit(store: Store, report_id: str, fields: dict[str, Any]) -> None:
    """Record an edit (only the changed units) of a local report offline."""
    units = _expand(fields)
    with store.atomic() as c:
        row = c.execute("SELECT doc, acked_rev FROM reports WHERE id=?", (report_id,)).fetchone()
        if row is None:
            raise LocalValidationError({"id": [f"no report {report_id} on this device"]})
        doc, acked_rev = orjson.loads(row[0]), row[1]
        wire = _fold_rejected(c, report_id, fields)
        apply_units(doc, units.items())
        if acked_rev is None:
            errors = report_schema.required_errors(doc)
            if errors:
                raise LocalValidationError(errors)
        hlc = store.tick(c)
        _write(c, report_id, doc)
        last = c.execute(
            "SELECT op_id, fields, report_id, state, base_rev FROM outbox ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        if last and last[2] == report_id and last[3] == "pending":
            # The newest op of the whole outbox, never sent, for this report:
            # fold this edit into it (one op fewer on a slow link). Only the
            # newest, so that outbox order stays HLC order, which the server
            # relies on to know which ops a device has acknowledged.
            merged = {**_flat(orjson.loads(last[1])), **_flat(wire)}
            op = _op(last[0], report_id, last[4], hlc, merged)
            c.execute(
                "UPDATE outbox SET fields=?, hlc=?, signature=? WHERE op_id=?",
                (orjson.dumps(merged).decode(), hlc, _signature(store, op), last[0]),
            )
        else:
            _enqueue(c, store, report_id, acked_rev, hlc, wire)


def _flat(fields: dict[str, Any]) -> dict[str, Any]:
    """Fields with whole maps spelled as element units, so merging dicts is per element."""
    return expand(fields)


def _fold_rejected(c: sqlite3.Connection, report_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    # The officer is editing a report whose earlier change the server
    # refused: carry that change along under the new one (nothing the
    # officer typed is dropped) and let the new op replace the rejected one.
    rows = c.execute(
        "SELECT fields FROM outbox WHERE report_id=? AND state='rejected' ORDER BY seq",
        (report_id,),
    ).fetchall()
    if not rows:
        return fields
    folded: dict[str, Any] = {}
    for (old,) in rows:
        folded.update(_flat(orjson.loads(old)))
    folded.update(_flat(fields))
    c.execute("DELETE FROM outbox WHERE report_id=? AND state='rejected'", (report_id,))
    return folded


def _write(c: sqlite3.Connection, report_id: str, doc: dict[str, Any]) -> None:
    c.execute(
        "INSERT INTO reports (id, doc, kind, title, occurred_at, review_status, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
        # The acknowledged copy was stored only as `doc` (acknowledged.ACKED_DOC):
        # keep it before the local edit replaces `doc`.
        "acked=CASE WHEN acked IS NULL AND acked_rev IS NOT NULL THEN doc ELSE acked END, "
        "doc=excluded.doc, "
        "kind=excluded.kind, title=excluded.title, occurred_at=excluded.occurred_at, "
        "updated_at=excluded.updated_at",
        (report_id, orjson.dumps(document.full(doc)).decode(), *listing_columns(doc), now_iso()),
    )


def _op(
    op_id: str, report_id: str, base_rev: int | None, hlc: str, fields: dict[str, Any]
) -> dict[str, Any]:
    return {
        "op_id": op_id,
        "report_id": report_id,
        "base_rev": base_rev,
        "hlc": hlc,
        "fields": fields,
    }


def _signature(store: Store, op: dict[str, Any]) -> str | None:
    # The op is final as recorded (a later edit folds in and signs again), so
    # it is signed now, once per officer's edit, rather than all at sync time.
    key = store.signer()
    return signing.sign_op(key, op) if key is not None else None


def _enqueue(
    c: sqlite3.Connection,
    store: Store,
    report_id: str,
    base_rev: int | None,
    hlc: str,
    fields: dict[str, Any],
) -> None:
    op = _op(str(uuid6.uuid7()), report_id, base_rev, hlc, fields)
    c.execute(
        "INSERT INTO outbox (op_id, report_id, base_rev, hlc, fields, signature, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            op["op_id"],
            report_id,
            base_rev,
            hlc,
            orjson.dumps(fields).decode(),
            _signature(store, op),
            now_iso(),
        ),
    )
