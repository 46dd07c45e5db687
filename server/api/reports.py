"""Reports for people: one report with history and conflicts, and review decisions."""

from __future__ import annotations

from urllib.parse import urlencode

import orjson
from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from server.http.auth import current_principal, require
from server.http.request_body import json_object
from server.infra.db import db
from server.infra.models import Report
from server.infra.problems import Problem
from server.openapi.requests import ReviewSchema
from server.reports import filters as report_filters
from server.reports import geojson
from server.reports.detail import report_view
from server.review import decisions as review_service
from server.review import queue as queue_service
from sync.errors import flatten_errors

bp = Blueprint("reports", __name__)


_REVIEW = ReviewSchema()


def _report_in_scope(report_id: str) -> Report:
    """A report in the caller's scope; 404 otherwise."""
    report = db.session.get(Report, report_id)
    if report is None or not current_principal().sees_post(report.post_code):
        raise Problem(404, "not-found", "No such report in your scope.")
    return report


@bp.get("/reports")
@require("officer", "commander", "hq", "admin")
def list_reports() -> ResponseReturnValue:
    """The review queue: filtered, paginated, oldest waiting first, with counts per status."""
    filters = report_filters.parse_filters(request.args)
    return jsonify(queue_service.search(current_principal(), filters))


@bp.get("/reports.geojson")
@require("officer", "commander", "hq", "admin")
def reports_geojson() -> ResponseReturnValue:
    """Reports with a location as GeoJSON (no person names): streamed whole, or paged."""
    query = geojson.parse_query(request.args)
    if query.limit is None:
        chunks = geojson.stream(current_principal(), query)
        return Response(chunks, mimetype="application/geo+json")
    body = geojson.page(current_principal(), query, _next_href)
    return Response(orjson.dumps(body), mimetype="application/geo+json")


def _next_href(cursor: str) -> str:
    """This request's absolute URL with the cursor of the following page."""
    args = request.args.to_dict(flat=False)
    args["cursor"] = [cursor]
    return f"{request.base_url}?{urlencode(args, doseq=True)}"


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
