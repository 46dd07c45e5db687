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
    docs: dict[str, dict[str, Any]] = {}
    for r in results:
        fields = r.get("server_fields")
        if r.get("status") != "applied" or not isinstance(fields, dict):
            continue
        op = c.execute(
            "SELECT base_rev, fields FROM outbox WHERE op_id=?", (r["op_id"],)
        ).fetchone()
        report_id = r["report_id"]
        if op is None:
            continue
        acked = docs.get(report_id)
        if acked is None:
            row = c.execute(f"SELECT {ACKED_DOC} FROM reports WHERE id=?", (report_id,)).fetchone()
            if row is None:
                continue
            acked = orjson.loads(row[0]) if row[0] else {}
        if acked.get("rev") != op[0] or (op[0] is not None and r["rev"] <= op[0]):
            continue
        doc = _own_part(acked)
        apply_units(doc, expand(orjson.loads(op[1])).items())
        docs[report_id] = document.full({**doc, **fields, "id": report_id})
    return docs
