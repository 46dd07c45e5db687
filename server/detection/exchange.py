"""The HQ export for partner agencies: pseudonymous person keys, no names.

A person key is HMAC-SHA256, keyed with ``PATROLI_EXCHANGE_KEY``, over
``<document type>:<normalised number>`` (``names.normal_document``), as
lower-case hex.  A partner agency holding the same key computes the same
value from its own records and joins on it; without the key the value says
nothing about the number.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from datetime import date

from sqlalchemy import select

from server.detection.models import PersonEntry
from server.detection.names import normal_document
from server.infra.db import db
from server.infra.problems import Problem

entries_t = PersonEntry.__table__

COLUMNS = ("person_key", "document_type", "post", "kind", "role", "occurred_on", "sex", "age")


def person_key(secret: str, doc_type: str, number: str) -> str:
    """The pseudonymous key of a document (the number is normalised here)."""
    message = f"{doc_type}:{normal_document(number)}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def exchange_key(config: dict) -> str:
    """The configured key, or a problem saying the export is not set up."""
    secret = config.get("PATROLI_EXCHANGE_KEY") or ""
    if len(secret) < 16:
        raise Problem(
            503,
            "not-configured",
            "The partner export needs PATROLI_EXCHANGE_KEY (16 characters or more) on the server.",
        )
    return secret


def to_csv(secret: str, date_from: date | None, date_to: date | None) -> str:
    """Every person with a document in a live report, one row per appearance."""
    query = select(entries_t).where(entries_t.c.doc_norm.is_not(None))
    query = query.order_by(entries_t.c.occurred_at, entries_t.c.report_id, entries_t.c.person_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in db.session.execute(query):
        when = row.occurred_at
        day = when.date() if when is not None else None
        if (date_from and (day is None or day < date_from)) or (
            date_to and (day is None or day > date_to)
        ):
            continue
        writer.writerow(
            (
                person_key(secret, row.doc_type or "other", row.doc_norm),
                row.doc_type or "other",
                row.post_code,
                row.kind,
                row.role,
                day.isoformat() if day else "",
                row.sex or "",
                "" if row.age is None else row.age,
            )
        )
    return out.getvalue()
