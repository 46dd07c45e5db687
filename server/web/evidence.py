"""The "Download case file" button of the report page (commanders and HQ)."""

from __future__ import annotations

from flask import Blueprint, Response, abort
from flask.typing import ResponseReturnValue

from server.evidence.casefile import export
from server.infra.db import db
from server.infra.models import Report
from server.web.access import current, page

bp = Blueprint("web_evidence", __name__)

#: Who may take a case file out of the system.
ROLES = ("commander", "hq")


@bp.post("/reports/<report_id>/case-file")
@page(*ROLES)
def case_file(report_id: str) -> ResponseReturnValue:
    """The report's case file as a download (a POST: making it signs a checkpoint)."""
    report = db.session.get(Report, report_id)
    if report is None or not current().sees_post(report.post_code):
        abort(404)
    db.session.rollback()  # the export writes through its own connection
    exported = export(report_id, current().name)
    return Response(
        exported.data,
        mimetype="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="berkas-perkara-{report_id}.zip"',
            "Cache-Control": "no-store",
        },
    )
