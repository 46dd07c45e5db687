"""Words for codes (statuses, kinds, modus, roles, fields) in the page language."""

from __future__ import annotations

from flask import Flask
from flask_babel import gettext as _


def status(code: str) -> str:
    """A review status."""
    return {
        "submitted": _("Submitted"),
        "in_review": _("In review"),
        "approved": _("Approved"),
        "needs_info": _("Needs information"),
        "rejected": _("Rejected"),
    }.get(code, code)


def kind(code: str) -> str:
    """A report kind."""
    return {
        "incident": _("Incident"),
        "patrol": _("Patrol"),
        "foreigner_check": _("Foreigner check"),
        "passport_deferral": _("Passport deferral"),
        "outreach": _("Outreach"),
    }.get(code, code)


def modus(code: str | None) -> str:
    """A modus code (``None``: no modus recorded)."""
    if code is None:
        return _("None recorded")
    return {
        "fake_job_offer": _("Fake job offer"),
        "posing_as_tourist": _("Posing as tourist"),
        "posing_as_student": _("Posing as student"),
        "transit_route": _("Transit route"),
        "unofficial_crossing": _("Unofficial crossing"),
        "other": _("Other"),
    }.get(code, code)


def role(code: str) -> str:
    """A person's role in a report, or a user's role."""
    return {
        "victim": _("Victim"),
        "suspect": _("Suspect"),
        "witness": _("Witness"),
        "foreign_national": _("Foreign national"),
        "applicant": _("Applicant"),
        "commander": _("Commander"),
        "hq": _("HQ"),
        "admin": _("Administrator"),
        "officer": _("Officer"),
    }.get(code, code)


def sex(code: str) -> str:
    """A person's sex as recorded."""
    return {"F": _("Female"), "M": _("Male"), "X": _("Other or unknown")}.get(code, code)


def document_type(code: str) -> str:
    """The type of a person's identity document."""
    return {
        "passport": _("Passport"),
        "national_id": _("National ID card"),
        "stay_permit": _("Stay permit"),
        "work_permit": _("Work permit"),
        "travel_document": _("Travel document"),
        "other": _("Other"),
    }.get(code, code)


def action_type(code: str) -> str:
    """An action taken in a report."""
    return {
        "referred": _("Referred"),
        "rescued": _("Rescued"),
        "arrested": _("Arrested"),
        "detained": _("Detained"),
        "deported": _("Deported"),
        "returned": _("Returned"),
        "warned": _("Warned"),
        "deferred": _("Deferred"),
        "investigated": _("Investigated"),
        "other": _("Other"),
    }.get(code, code)


def field(unit: str) -> str:
    """A report field or unit (``persons.<id>`` reads as "Person <id>")."""
    head, _dot, tail = unit.partition(".")
    names = {
        "post": _("Post"),
        "kind": _("Kind"),
        "occurred_at": _("Occurred at"),
        "ended_at": _("Ended at"),
        "location": _("Location"),
        "route": _("Route"),
        "title": _("Title"),
        "narrative": _("Narrative"),
        "modus": _("Modus"),
        "destination_country": _("Destination"),
        "agencies": _("Agencies"),
        "audience_size": _("Audience size"),
        "topics": _("Topics"),
        "retracted": _("Retracted"),
        "retract_reason": _("Retraction reason"),
        "review.status": _("Review status"),
        "review.note": _("Review note"),
    }
    if tail and head == "persons":
        return _("Person %(id)s", id=tail)
    if tail and head == "actions":
        return _("Action %(id)s", id=tail)
    if tail and head == "attachments":
        return _("Attachment %(id)s", id=tail[:12])
    return names.get(unit, unit)


def measure(code: str) -> str:
    """An aggregate measure."""
    return {
        "reports": _("Reports"),
        "persons": _("Persons"),
        "victims": _("Victims"),
        "victims_minor": _("Minor victims"),
        "victims_female": _("Female victims"),
        "suspects": _("Suspects"),
        "witnesses": _("Witnesses"),
        "foreign_nationals": _("Foreign nationals"),
        "applicants": _("Applicants"),
    }.get(code, code)


def register(app: Flask) -> None:
    """Make the label functions available to every template."""
    for name, func in (
        ("status_label", status),
        ("kind_label", kind),
        ("modus_label", modus),
        ("role_label", role),
        ("field_label", field),
        ("measure_label", measure),
    ):
        app.add_template_global(func, name)
