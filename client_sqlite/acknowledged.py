"""The device's acknowledged copy of each report: how it is kept, and how it advances.

A report row holds the local view (``doc``: the acknowledged copy with
every unsent edit on top) and the acknowledged copy itself, stored only
when it differs (``ACKED_DOC``). The copy comes from pull pages
(``acked_rows``) and from the device's own applied ops: a pull with
``skip_echo=1`` leaves out a report whose latest change is this device's
own op, applied cleanly, and the server's document is then exactly the
copy the op was based on, with the op's units written and the
``server_fields`` of its push result (``applied_documents``). Anything else
(merged, conflicting, reviewed or changed by others since) comes by pull.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson

from sync import document
from sync.units import MAP_FIELDS, apply_units, expand

#: The acknowledged document of a ``reports`` row. ``acked`` is NULL when it
#: would equal ``doc`` (no local edit on top), so a pulled report is stored
#: once, not twice; editing._write keeps it before a local edit changes
#: ``doc``. ``acked_rev`` NULL: the server has no copy yet.
ACKED_DOC = "CASE WHEN acked_rev IS NULL THEN NULL ELSE COALESCE(acked, doc) END"
#: Stores an acknowledged document with its local view (rows of ``acked_rows``).
UPSERT_ACKED = (
    "INSERT INTO reports (id, doc, acked, acked_rev, kind, title, occurred_at, "
    "review_status, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET doc=excluded.doc, acked=excluded.acked, "
    "acked_rev=excluded.acked_rev, kind=excluded.kind, title=excluded.title, "
    "occurred_at=excluded.occurred_at, review_status=excluded.review_status, "
    "updated_at=excluded.updated_at"
)


def _own_part(acked: dict[str, Any]) -> dict[str, Any]:
    """The device fields of an acknowledged document, maps copied (units write into them)."""
    doc = {k: acked[k] for k in document.DEVICE_ORDER if acked.get(k) is not None}
    for name in MAP_FIELDS:
        if isinstance(doc.get(name), dict):
            doc[name] = dict(doc[name])
    return doc


def applied_documents(
    c: sqlite3.Connection, results: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """The acknowledged documents that applied ops left, by report id, in result order.

    An op counts only if the copy the device holds is the one it was based
    on (same ``base_rev``) and the result is newer: otherwise the device's
    copy has moved on, and the server's answer to a later pull is what counts.
    """
    applied = [
        r
        for r in results
        if r.get("status") == "applied" and isinstance(r.get("server_fields"), dict)
    ]
    ops = _rows(
        c, "SELECT op_id, base_rev, fields FROM outbox WHERE op_id IN ({})", applied, "op_id"
    )
    copies = _rows(
        c, f"SELECT id, {ACKED_DOC} FROM reports WHERE id IN ({{}})", applied, "report_id"
    )
    docs: dict[str, dict[str, Any]] = {}
    for r in applied:
        op, report_id = ops.get(r["op_id"]), r["report_id"]
        if op is None or report_id not in copies:
            continue
        acked = docs.get(report_id)
        if acked is None:
            text = copies[report_id][0]
            acked = orjson.loads(text) if text else {}
        if acked.get("rev") != op[0] or (op[0] is not None and r["rev"] <= op[0]):
            continue
        doc = _own_part(acked)
        apply_units(doc, expand(orjson.loads(op[1])).items())
        docs[report_id] = document.full({**doc, **r["server_fields"], "id": report_id})
    return docs


def _rows(
    c: sqlite3.Connection, query: str, results: list[dict[str, Any]], key: str
) -> dict[str, tuple[Any, ...]]:
    """Rows by their first column for the results' ``key`` values, a few queries per batch."""
    values = list({r[key] for r in results})
    found: dict[str, tuple[Any, ...]] = {}
    for start in range(0, len(values), 500):
        chunk = values[start : start + 500]
        for row in c.execute(query.format(",".join("?" * len(chunk))), chunk):
            found[row[0]] = tuple(row[1:])
    return found


def listing_columns(doc: dict[str, Any]) -> tuple[Any, ...]:
    """kind, title, occurred_at and review status of a document, for lists."""
    review = doc.get("review") or {}
    return doc.get("kind"), doc.get("title"), doc.get("occurred_at"), review.get("status")


def acked_rows(
    c: sqlite3.Connection, docs: list[dict[str, Any]], now: str
) -> list[tuple[Any, ...]]:
    """``reports`` rows for server documents (full), with unsent local edits on top."""
    with_ops = ids_in(c, "outbox", [doc["id"] for doc in docs])
    rows = []
    for doc in docs:
        local = acked = orjson.dumps(doc).decode()
        if doc["id"] in with_ops:
            local = orjson.dumps(document.full(on_top(c, doc))).decode()
        kept = None if local is acked else acked
        rows.append((doc["id"], local, kept, doc["rev"], *listing_columns(doc), now))
    return rows


def ids_in(c: sqlite3.Connection, table: str, ids: list[str]) -> set[str]:
    """Those of ``ids`` that have rows in ``table`` (outbox or conflicts)."""
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        found.update(
            r[0]
            for r in c.execute(
                f"SELECT DISTINCT report_id FROM {table} WHERE report_id IN ({marks})", chunk
            )
        )
    return found


def on_top(c: sqlite3.Connection, acked: dict[str, Any]) -> dict[str, Any]:
    """The acknowledged document with every outbox op of the report applied in order."""
    doc = dict(acked)
    for name in MAP_FIELDS:
        if isinstance(doc.get(name), dict):
            doc[name] = dict(doc[name])
    for (fields,) in c.execute(
        "SELECT fields FROM outbox WHERE report_id=? ORDER BY seq", (acked["id"],)
    ):
        apply_units(doc, expand(orjson.loads(fields)).items())
    return doc
