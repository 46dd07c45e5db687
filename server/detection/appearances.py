"""Every appearance of one person across posts, for HQ (``GET /api/v1/persons``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, select

from server.detection.models import PersonEntry, PersonLink
from server.detection.names import normal_document
from server.infra.clock import iso_ms
from server.infra.db import db
from server.infra.problems import Problem
from sync import vocab

entries_t = PersonEntry.__table__
links_t = PersonLink.__table__


def parse_document(args: Any) -> tuple[str, str | None]:
    """The normalised ``document_number`` (and optional ``document_type``) asked for."""
    errors: dict[str, list[str]] = {}
    number = normal_document(args.get("document_number"))
    if not number:
        errors["document_number"] = ["give a document number (letters and digits)"]
    doc_type = args.get("document_type") or None
    if doc_type is not None and doc_type not in vocab.DOCUMENT_TYPES:
        errors["document_type"] = ["must be one of: " + ", ".join(vocab.DOCUMENT_TYPES)]
    if errors:
        raise Problem(400, "validation-failed", "Say which document to look for.", errors=errors)
    return number, doc_type


def appearances(number: str, doc_type: str | None) -> list[dict[str, Any]]:
    """Persons carrying the document, and persons linked to them by name, oldest first."""
    where = [entries_t.c.doc_norm == number]
    if doc_type:
        where.append(entries_t.c.doc_type == doc_type)
    direct = db.session.execute(select(entries_t).where(and_(*where))).all()
    found = {(row.report_id, row.person_id): (row, "document") for row in direct}
    if found:
        # By report id (indexed): SQLite scans the whole table for a row-value IN list.
        linked = select(links_t).where(links_t.c.report_id.in_(sorted({r for r, _ in found})))
        extra = sorted(
            {
                (link.other_report_id, link.other_person_id)
                for link in db.session.execute(linked)
                if (link.report_id, link.person_id) in found
            }
            - set(found)
        )
        for report_id in sorted({r for r, _ in extra}):
            query = select(entries_t).where(entries_t.c.report_id == report_id)
            for row in db.session.execute(query):
                if (row.report_id, row.person_id) in extra:
                    found[(row.report_id, row.person_id)] = (row, "name")
    rows = sorted(found.values(), key=lambda item: (_ts(item[0].occurred_at), item[0].report_id))
    return [
        {
            "report_id": row.report_id,
            "post": row.post_code,
            "kind": row.kind,
            "occurred_at": iso_ms(row.occurred_at),
            "person_id": row.person_id,
            "role": row.role,
            "basis": basis,
        }
        for row, basis in rows
    ]


def _ts(value: Any) -> float:
    return value.timestamp() if value is not None else float("-inf")
