"""The device's acknowledged copy of a report its own op left on the server.

A pull with ``skip_echo=1`` leaves out a report whose latest change is this
device's own op, applied cleanly: the server's document is then exactly the
acknowledged copy the op was based on, with the op's units written and the
``server_fields`` of its push result (post, author, review, rev, ...). The
device builds it here instead of downloading it again; anything else
(merged, conflicting, reviewed or changed by others since) still comes by pull.
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
