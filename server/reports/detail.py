"""One report as people see it: document, history, conflicts, missing blobs, person links."""

from __future__ import annotations

from typing import Any

from flask import current_app

from server.detection import views as detection_views
from server.http.auth import current_principal
from server.infra.blob_files import store_for
from server.infra.clock import iso_ms
from server.infra.db import db
from server.infra.models import Conflict, Report, ReportRevision
from server.reports import blob_refs, row_codec
from server.reports.document import loaded
from server.reports.pull import conflict_wire


def report_view(report: Report) -> dict[str, Any]:
    """A report with its full revision history and every conflict record."""
    history = db.session.execute(
        db.select(ReportRevision.__table__)
        .where(ReportRevision.report_id == report.id)
        .order_by(ReportRevision.rev)
    ).mappings()
    conflicts = db.session.execute(
        db.select(Conflict.__table__)
        .where(Conflict.report_id == report.id)
        .order_by(Conflict.rev, Conflict.created_at)
    ).mappings()
    return {
        "report": loaded(report.doc),
        "history": [_history_entry(h) for h in history],
        "conflicts": [
            dict(conflict_wire(c), kept_device=c["kept_device"], lost_device=c["lost_device"])
            for c in conflicts
        ],
        # Attachments the report references whose bytes have not arrived yet.
        "missing_blobs": missing_blobs(report.id),
        # Persons met in other reports, within the caller's scope (issue 15).
        **detection_views.for_report(current_principal(), report.id),
    }


def _history_entry(h: Any) -> dict[str, Any]:
    changes, _ = row_codec.decoded_revision(h)
    return {
        "rev": h["rev"],
        "at": iso_ms(h["at"]),
        "by": h["by"],
        "device_id": h["device_id"],
        "action": h["action"],
        "units": list(changes),
        "changes": changes,
    }


def missing_blobs(report_id: str) -> list[str]:
    """Hashes the report references that the blob store does not hold (yet)."""
    with db.engine.connect() as conn:
        hashes = blob_refs.of_report(conn, report_id)
    store = store_for(current_app)
    return [sha for sha in hashes if not store.exists(sha)]
