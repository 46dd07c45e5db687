"""The review queue page and the report page with its review actions."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from server.detection.alerts import ALERT_TYPES
from server.http import labels
from server.infra.db import db
from server.infra.models import Report
from server.infra.problems import Problem
from server.reports import filters as report_filters
from server.reports.detail import report_view
from server.review import decisions as review_service
from server.review import queue as queue_service
from server.review.conflicts import device_names
from server.web import evidence as evidence_web
from server.web.access import current, page
from sync import vocab

bp = Blueprint("web_queue", __name__)

PEOPLE = ("commander", "hq", "admin")


def _filters() -> tuple[report_filters.ReportFilter, dict[str, list[str]]]:
    """The queue filters of the request, and field errors instead of a 400."""
    try:
        return report_filters.parse_filters(request.args), {}
    except Problem as exc:
        return report_filters.ReportFilter(), exc.errors or {}


def _routes(principal: Any) -> list[str]:
    """Distinct routes in the person's scope, for the route filter's suggestions."""
    query = db.select(Report.route).where(Report.route.is_not(None)).distinct()
    posts = principal.posts()
    if posts is not None:
        query = query.where(Report.post_code.in_(sorted(posts)))
    return sorted(r for r in db.session.execute(query).scalars() if r)


@bp.get("/queue")
@page(*PEOPLE)
def index() -> ResponseReturnValue:
    """Reports of the person's post(s), oldest waiting first, with counts per status."""
    principal = current()
    filters, errors = _filters()
    result = queue_service.search(principal, filters)
    args = request.args.to_dict(flat=True)
    args.pop("page", None)
    return render_template(
        "queue.html",
        result=result,
        filters=filters,
        errors=errors,
        args=args,
        statuses=vocab.REVIEW_STATUSES,
        kinds=vocab.KINDS,
        alert_types=ALERT_TYPES,
        routes=_routes(principal),
        posts=sorted(principal.posts() or []) if principal.posts() is not None else None,
    )


def _report_or_404(report_id: str) -> Report:
    """A report in the person's scope, or a 404 page."""
    report = db.session.get(Report, report_id)
    if report is None or not current().sees_post(report.post_code):
        abort(404)
    return report


@bp.get("/reports/<report_id>")
@page(*PEOPLE)
def report(report_id: str) -> ResponseReturnValue:
    """The current document, attachments, full history, conflicts and review actions."""
    view = report_view(_report_or_404(report_id))
    ids = [h["device_id"] for h in view["history"]]
    ids += [c[k] for c in view["conflicts"] for k in ("kept_device", "lost_device")]
    return render_template(
        "report.html",
        view=view,
        doc=view["report"],
        devices=device_names(ids),
        may_review=current().role == "commander",
        may_export=current().role in evidence_web.ROLES,
        decisions=review_service.DECISIONS,
    )


@bp.post("/reports/<report_id>/review")
@page("commander")
def review(report_id: str) -> ResponseReturnValue:
    """Record a review decision from the report page's forms."""
    status = request.form.get("status", "")
    if status not in review_service.DECISIONS:
        abort(400)
    try:
        rev = int(request.form.get("rev", ""))
    except ValueError:
        abort(400)
    note = (request.form.get("note") or "").strip() or None
    try:
        review_service.decide(current(), report_id, status, note, rev)
    except Problem as exc:
        if exc.slug == "stale-revision":
            flash(
                _(
                    "The report changed while you were reading it (you saw revision %(seen)s, "
                    "it is now at revision %(now)s). Nothing was saved: read the new version "
                    "below, then decide again.",
                    seen=rev,
                    now=exc.extra.get("current_rev"),
                ),
                "error",
            )
        elif exc.slug == "validation-failed":
            flash(_("Write a note: the officer needs to know what is missing or why."), "error")
        else:
            raise
        return redirect(url_for("web_queue.report", report_id=report_id))
    flash(_("Decision saved: %(status)s.", status=labels.status(status)), "ok")
    return redirect(url_for("web_queue.report", report_id=report_id))
