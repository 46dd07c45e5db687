"""Reports for people: one report with history and conflicts, and review decisions."""

from __future__ import annotations

from typing import Any

import orjson
from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from marshmallow import Schema, fields, validate

from server import blob_refs
from server import review as review_service
from server.auth import current_principal, require
from server.blobstore import store_for
from server.bodies import json_object
from server.db import db
from server.documents import iso_ms
from server.models import Conflict, Report, ReportRevision
from server.problems import Problem
from server.pull import conflict_wire
from sync.errors import flatten_errors

bp = Blueprint("reports", __name__)


class ReviewSchema(Schema):
    """Body of ``POST /reports/<id>/review``."""

    status = fields.String(
        required=True,
        validate=validate.OneOf(
            review_service.DECISIONS, error="must be one of: " + ", ".join(review_service.DECISIONS)
        ),
    )
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))
    rev = fields.Integer(required=True, strict=True)


_REVIEW = ReviewSchema()


def report_view(report: Report) -> dict[str, Any]:
    """A report with its full revision history, every conflict record and missing blobs."""
    history = db.session.execute(
        db.select(ReportRevision)
        .where(ReportRevision.report_id == report.id)
        .order_by(ReportRevision.rev)
    ).scalars()
    conflicts = db.session.execute(
        db.select(Conflict.__table__)
        .where(Conflict.report_id == report.id)
        .order_by(Conflict.rev, Conflict.created_at)
    ).mappings()
    with db.engine.connect() as conn:
        hashes = blob_refs.of_report(conn, report.id)
    store = store_for(current_app)
    return {
        "report": orjson.loads(report.doc),
        "history": [
            {
                "rev": h.rev,
                "at": iso_ms(h.at),
                "by": h.by,
                "device_id": h.device_id,
                "action": h.action,
                "units": list(orjson.loads(h.changes)),
                "changes": orjson.loads(h.changes),
            }
            for h in history
        ],
        "conflicts": [
            dict(conflict_wire(c), kept_device=c["kept_device"], lost_device=c["lost_device"])
            for c in conflicts
        ],
        # Attachments the report references whose bytes have not arrived yet.
        "missing_blobs": [sha for sha in hashes if not store.exists(sha)],
    }


def _report_in_scope(report_id: str) -> Report:
    report = db.session.get(Report, report_id)
    if report is None or not current_principal().sees_post(report.post_code):
        raise Problem(404, "not-found", "No such report in your scope.")
    return report


@bp.get("/reports/<report_id>")
@require("officer", "commander", "hq", "admin")
def get_report(report_id: str) -> ResponseReturnValue:
    """The current document, its revision history and its conflicts."""
    return jsonify(report_view(_report_in_scope(report_id)))


@bp.post("/reports/<report_id>/review")
@require("commander")
def review(report_id: str) -> ResponseReturnValue:
    """Record a review decision on the revision the commander looked at."""
    body = json_object()
    errors = _REVIEW.validate(body)
    if errors:
        raise Problem(
            400,
            "validation-failed",
            "The review decision is incomplete.",
            errors=flatten_errors(errors),
        )
    document = review_service.decide(
        current_principal(), report_id, body["status"], body.get("note"), body["rev"]
    )
    return jsonify(report=document)
