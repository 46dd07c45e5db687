"""Links and alerts as a caller may see them.

Whoever sees a report sees that its persons were met elsewhere: the post,
the kind and date of the other report, and how the link was made.  The
other report's id and person element id are shown only when the caller's
scope holds that report; otherwise they are ``null``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from server.detection.alerts import VEHICLE_SEEN_BEFORE, vehicle_seen_before
from server.detection.models import PersonAlert, PersonLink, VehicleLink
from server.http.auth import Principal
from server.infra.clock import iso_ms
from server.infra.db import db

links_t = PersonLink.__table__
alerts_t = PersonAlert.__table__
vlinks_t = VehicleLink.__table__


def for_report(principal: Principal, report_id: str) -> dict[str, Any]:
    """``person_links``, ``vehicle_links`` and ``alerts`` of one report the caller sees."""
    return {
        "person_links": person_links(principal, report_id),
        "vehicle_links": vehicle_links(principal, report_id),
        "alerts": alerts(principal, report_id) + vehicle_alerts(principal, report_id),
    }


def person_links(principal: Principal, report_id: str) -> dict[str, list[dict[str, Any]]]:
    """Links per person element id, strongest first."""
    query = (
        select(links_t)
        .where(links_t.c.report_id == report_id)
        .order_by(links_t.c.person_id, links_t.c.score.desc(), links_t.c.other_occurred_at)
    )
    result: dict[str, list[dict[str, Any]]] = {}
    for link in db.session.execute(query):
        shown = principal.sees_post(link.other_post)
        result.setdefault(link.person_id, []).append(
            {
                "report_id": link.other_report_id if shown else None,
                "post": link.other_post,
                "kind": link.other_kind,
                "occurred_at": iso_ms(link.other_occurred_at),
                "person_id": link.other_person_id if shown else None,
                "basis": link.basis,
                "score": link.score,
                "explanation": link.explanation,
            }
        )
    return result


def alerts(principal: Principal, report_id: str) -> list[dict[str, Any]]:
    """The report's alerts; ``report_id`` is the report that raised each one."""
    query = (
        select(alerts_t)
        .where(alerts_t.c.report_id == report_id)
        .order_by(alerts_t.c.type, alerts_t.c.person_id, alerts_t.c.other_occurred_at)
    )
    return [
        {
            "type": row.type,
            "person_id": row.person_id,
            "report_id": row.other_report_id if principal.sees_post(row.other_post) else None,
            "post": row.other_post,
            "occurred_at": iso_ms(row.other_occurred_at),
        }
        for row in db.session.execute(query)
    ]


def vehicle_links(principal: Principal, report_id: str) -> dict[str, list[dict[str, Any]]]:
    """Links per vehicle element id, strongest first (scoped as ``person_links``)."""
    query = (
        select(vlinks_t)
        .where(vlinks_t.c.report_id == report_id)
        .order_by(vlinks_t.c.vehicle_id, vlinks_t.c.score.desc(), vlinks_t.c.other_occurred_at)
    )
    result: dict[str, list[dict[str, Any]]] = {}
    for link in db.session.execute(query):
        shown = principal.sees_post(link.other_post)
        result.setdefault(link.vehicle_id, []).append(
            {
                "report_id": link.other_report_id if shown else None,
                "post": link.other_post,
                "kind": link.other_kind,
                "occurred_at": iso_ms(link.other_occurred_at),
                "vehicle_id": link.other_vehicle_id if shown else None,
                "basis": link.basis,
                "score": link.score,
                "explanation": link.explanation,
            }
        )
    return result


def vehicle_alerts(principal: Principal, report_id: str) -> list[dict[str, Any]]:
    """The report's ``vehicle_seen_before`` alerts, one per vehicle and earlier report."""
    query = (
        select(vlinks_t.c.vehicle_id, vlinks_t.c.other_report_id, vlinks_t.c.other_post)
        .add_columns(vlinks_t.c.other_occurred_at)
        .where(vlinks_t.c.report_id == report_id, vehicle_seen_before())
        .distinct()
        .order_by(vlinks_t.c.vehicle_id, vlinks_t.c.other_occurred_at, vlinks_t.c.other_report_id)
    )
    return [
        {
            "type": VEHICLE_SEEN_BEFORE,
            "vehicle_id": row.vehicle_id,
            "report_id": row.other_report_id if principal.sees_post(row.other_post) else None,
            "post": row.other_post,
            "occurred_at": iso_ms(row.other_occurred_at),
        }
        for row in db.session.execute(query)
    ]


def alert_types(report_ids: Iterable[str]) -> dict[str, list[str]]:
    """The alert types on each report (for the queue's badges)."""
    ids = sorted(set(report_ids))
    if not ids:
        return {}
    query = select(alerts_t.c.report_id, alerts_t.c.type).where(alerts_t.c.report_id.in_(ids))
    found: dict[str, set[str]] = {}
    for report_id, kind in db.session.execute(query.distinct()):
        found.setdefault(report_id, set()).add(kind)
    seen = select(vlinks_t.c.report_id).where(vlinks_t.c.report_id.in_(ids), vehicle_seen_before())
    for report_id in db.session.execute(seen.distinct()).scalars():
        found.setdefault(report_id, set()).add(VEHICLE_SEEN_BEFORE)
    return {report_id: sorted(kinds) for report_id, kinds in found.items()}
