"""Words for codes (statuses, kinds, modus, roles, fields, countries) in the page language."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import get_locale
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


def field(unit: str, doc: dict[str, Any] | None = None) -> str:
    """A report field or unit; an element of a map is named by its place in ``doc``.

    Element ids (``persons.w1``) are device-made keys that mean nothing to a
    reader, so they are never shown: a person, action or attachment is
    described by its position in the report (and its role or type) instead.
    """
    head, _dot, tail = unit.partition(".")
    if tail and head in ("persons", "actions", "attachments"):
        return _element(head, tail, doc)
    return _field_names().get(unit, unit)


def _field_names() -> dict[str, str]:
    """Names of the report's fields (built per call: the language is per request)."""
    return {
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


def _element(head: str, key: str, doc: dict[str, Any] | None) -> str:
    """One person, action or attachment of ``doc``, by position and what it is."""
    elements = ((doc or {}).get(head)) or {}
    if key not in elements:  # no report at hand, or the element was removed since
        return {"persons": _("Person"), "actions": _("Action"), "attachments": _("Attachment")}[
            head
        ]
    number, item = list(elements).index(key) + 1, elements[key] or {}
    if head == "persons":
        return _("Person %(number)d (%(role)s)", number=number, role=role(item.get("role") or ""))
    if head == "actions":
        done = action_type(item.get("type"))
        return _("Action %(number)d (%(type)s)", number=number, type=done)
    return _("Attachment %(number)d", number=number)


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


def sex(code: str | None) -> str:
    """A person's sex as the short letter of the page language (Indonesian writes L/P)."""
    return {"F": _("F"), "M": _("M"), "X": "X"}.get(code or "", code or "—")


def sex_name(code: str | None) -> str:
    """A person's sex in words (for the short letter's tooltip)."""
    return {"F": _("Female"), "M": _("Male"), "X": _("Other or not stated")}.get(
        code or "", code or ""
    )


def document_type(code: str | None) -> str:
    """An identity document's type."""
    return {
        "passport": _("Passport"),
        "national_id": _("National ID card"),
        "stay_permit": _("Stay permit"),
        "work_permit": _("Work permit"),
        "travel_document": _("Travel document"),
        "other": _("Other"),
    }.get(code or "", code or "—")


def action_type(code: str | None) -> str:
    """What was done (an action of a report)."""
    return {
        "referred": _("Referred"),
        "rescued": _("Rescued"),
        "arrested": _("Arrested"),
        "detained": _("Detained"),
        "deported": _("Deported"),
        "returned": _("Returned home"),
        "warned": _("Warned"),
        "deferred": _("Deferred"),
        "investigated": _("Investigated"),
        "other": _("Other"),
    }.get(code or "", code or "—")


def vehicle_type(code: str | None) -> str:
    """A kind of boat or vehicle (a vehicle of a report)."""
    return {
        "boat": _("Boat"),
        "speedboat": _("Speedboat"),
        "car": _("Car"),
        "motorbike": _("Motorbike"),
        "truck": _("Truck"),
        "other": _("Other"),
    }.get(code or "", code or "—")


def country(code: str | None) -> str:
    """A country's name in the page language (Babel's CLDR data), from its ISO code."""
    if not code:
        return "—"
    locale = get_locale()
    names = locale.territories if locale is not None else {}
    return names.get(code.upper(), code)


def register(app: Flask) -> None:
    """Make the label functions available to every template."""
    for name, func in (
        ("status_label", status),
        ("kind_label", kind),
        ("modus_label", modus),
        ("role_label", role),
        ("field_label", field),
        ("measure_label", measure),
        ("sex_label", sex),
        ("sex_name", sex_name),
        ("document_label", document_type),
        ("action_label", action_type),
        ("vehicle_type_label", vehicle_type),
        ("country_label", country),
    ):
        app.add_template_global(func, name)
