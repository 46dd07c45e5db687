"""HQ's person page, and the alert words every page uses (issue 15)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from server.detection import person_page
from server.web.access import page

bp = Blueprint("web_persons", __name__)


@bp.app_template_global("alert_label")
def alert_label(code: str) -> str:
    """An early-detection alert type in the page language."""
    return {
        "deferred_applicant": _("Deferred passport applicant"),
        "seen_before": _("Seen before"),
        "repeat_suspect": _("Repeat suspect"),
        "vehicle_seen_before": _("Vehicle seen before"),
    }.get(code, code)


@bp.app_template_global("link_basis_label")
def link_basis_label(basis: str, score: int) -> str:
    """How a link was made, in the page language."""
    if basis == "document":
        return _("same document number")
    return _("name %(score)s%% similar, same sex, age fits", score=score)


@bp.app_template_global("vehicle_basis_label")
def vehicle_basis_label(basis: str, score: int) -> str:
    """How a vehicle link was made, in the page language."""
    if basis == "registration":
        return _("same registration")
    return _("boat name %(score)s%% similar", score=score)


@bp.get("/persons/<report_id>/<person_id>")
@page("hq", "admin")
def show(report_id: str, person_id: str) -> ResponseReturnValue:
    """Every appearance of one person across posts; for a suspect, their network."""
    found = person_page.appearances(report_id, person_id)
    if not found:
        abort(404)
    return render_template(
        "person.html",
        appearances=found,
        network=person_page.network(found),
        subject=next(a for a in found if (a.report_id, a.person_id) == (report_id, person_id)),
    )
