"""Index reports stored before early detection existed (``patroli admin reindex-persons``)."""

from __future__ import annotations

from sqlalchemy import select

from server.detection import index
from server.infra.db import db
from server.infra.models import Report
from server.infra.transactions import write_connection
from server.reports import store


def reindex_all(batch: int = 200) -> int:
    """Match every report's persons again, a batch per transaction; the number of reports.

    Safe to run again at any time: each report's entries and links are
    replaced, and its alerts recomputed, exactly as a write would.
    """
    done, after = 0, ""
    while True:
        with write_connection() as conn:
            ids = list(
                conn.execute(
                    select(Report.id).where(Report.id > after).order_by(Report.id).limit(batch)
                ).scalars()
            )
            if not ids:
                return done
            index.refresh(conn, store.load(conn, ids).values(), force=True)
        done += len(ids)
        after = ids[-1]
        db.session.remove()
