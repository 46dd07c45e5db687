"""Conflict pages: open conflicts per post and the side-by-side resolution view."""

from __future__ import annotations

import json
from typing import Any

import orjson
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from server.http import strict_json
from server.infra.db import db
from server.infra.models import Report
from server.infra.problems import Problem
from server.review import conflicts as service
from server.web import diff, readable
from server.web.access import current, page
from sync import hlc, units

bp = Blueprint("web_conflicts", __name__)

PEOPLE = ("commander", "hq", "admin")


@bp.get("/conflicts")
@page(*PEOPLE)
def index() -> ResponseReturnValue:
    """Open (or resolved) conflicts of the person's post(s), oldest first."""
    status = "resolved" if request.args.get("status") == "resolved" else "open"
    post = request.args.get("post") or None
    found = service.list_conflicts(current(), status, post)
    names = service.device_names([c[k] for c in found for k in ("kept_device", "lost_device")])
    return render_template("conflicts.html", conflicts=found, status=status, devices=names)


def hlc_ms(value: str | None) -> int | None:
    """Wall-clock milliseconds inside an HLC string (when the edit was made)."""
    try:
        return hlc.HLC.parse(value).ms if value else None
    except ValueError:
        return None


def editable(value: Any, field: str) -> tuple[str, str]:
    """The merged-value editor's mode and starting text for ``value``."""
    if "." not in field and (value is None or isinstance(value, str)):
        return "text", value or ""
    return "json", json.dumps(value, ensure_ascii=False, indent=2)


@bp.get("/conflicts/<conflict_id>")
@page(*PEOPLE)
def show(conflict_id: str) -> ResponseReturnValue:
    """Kept and losing values side by side, authors and times, and three choices."""
    conflict = _conflict_or_404(conflict_id)
    report = db.session.get(Report, conflict["report_id"])
    doc = orjson.loads(report.doc)
    current_value = units.get(doc, conflict["field"])
    mode, start = editable(conflict["kept"], conflict["field"])
    others = [
        c
        for c in service.list_conflicts(current(), "open", None, report.id)
        if c["id"] != conflict_id
    ]
    return render_template(
        "conflict.html",
        conflict=conflict,
        doc=doc,
        comparison=diff.compare(
            readable.value(conflict["field"], conflict["kept"]),
            readable.value(conflict["field"], conflict["lost"]),
        ),
        current_value=readable.value(conflict["field"], current_value),
        moved_on=current_value != conflict["kept"],
        kept_at=hlc_ms(conflict["kept_hlc"]),
        lost_at=hlc_ms(conflict["lost_hlc"]),
        devices=service.device_names([conflict["kept_device"], conflict["lost_device"]]),
        editor_mode=mode,
        editor_text=start,
        may_resolve=current().role == "commander" and conflict["status"] == "open",
        others=others,
    )


def _conflict_or_404(conflict_id: str) -> dict[str, Any]:
    """A conflict in the person's scope, or a 404 page."""
    try:
        return service.get_conflict(current(), conflict_id)
    except Problem:
        abort(404)


def _body_from_form() -> dict[str, Any] | None:
    """The resolution form as an API body; None (with a message) for bad JSON."""
    choice = request.form.get("choice")
    body: dict[str, Any] = {}
    if request.form.get("rev", "").isdigit():
        body["rev"] = int(request.form["rev"])
    if choice in ("kept", "lost"):
        return {**body, "choose": choice}
    if choice != "value":
        abort(400)
    text = request.form.get("value", "")
    if request.form.get("mode") == "text":
        return {**body, "value": text.strip() or None}
    try:
        return {**body, "value": strict_json.loads(text)}
    except strict_json.InvalidJSON:
        flash(_("The merged value is not valid JSON; nothing was saved."), "error")
        return None


@bp.post("/conflicts/<conflict_id>/resolve")
@page("commander")
def resolve(conflict_id: str) -> ResponseReturnValue:
    """Resolve from the side-by-side view, then return to the report."""
    conflict = _conflict_or_404(conflict_id)
    back = url_for("web_conflicts.show", conflict_id=conflict_id)
    body = _body_from_form()
    if body is None:
        return redirect(back)
    try:
        service.resolve(current(), conflict_id, body)
    except Problem as exc:
        if exc.slug == "stale-revision":
            flash(
                _(
                    "The report changed while you were reading; nothing was saved. "
                    "Look at the values again."
                ),
                "error",
            )
        elif exc.slug == "conflict":
            flash(_("Someone else resolved this conflict already."), "error")
        elif exc.slug == "validation-failed":
            problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in (exc.errors or {}).items())
            flash(_("The merged value is not valid: %(problems)s", problems=problems), "error")
        else:
            raise
        return redirect(back)
    flash(_("Conflict resolved. Devices receive the chosen value on their next sync."), "ok")
    return redirect(url_for("web_queue.report", report_id=conflict["report_id"]))
