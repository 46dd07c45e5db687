"""Alert rules: which links of a report's persons deserve a commander's attention.

- ``deferred_applicant``: a person matches an applicant of a
  ``passport_deferral`` report (the applicant whose passport was deferred
  at one post, met again at another).
- ``seen_before``: a victim or suspect matches a person of a report that
  occurred earlier, at any post.
- ``repeat_suspect``: a suspect matches a suspect of another report, so
  appears in two or more reports.
- ``vehicle_seen_before``: a boat or vehicle matches one of a report that
  occurred earlier, at any post.  It is not stored: a vehicle link to an
  earlier report is the alert (``vehicle_seen_before``), so it clears with
  the link.

Alerts are derived from the links alone, recomputed whenever the links of
a report change (``server.detection.index``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from server.detection.models import PersonAlert, PersonEntry, PersonLink, VehicleLink
from server.infra.bulk import bulk_write

VEHICLE_SEEN_BEFORE = "vehicle_seen_before"
ALERT_TYPES = ("deferred_applicant", "seen_before", "repeat_suspect", VEHICLE_SEEN_BEFORE)

alerts_t = PersonAlert.__table__
links_t = PersonLink.__table__
entries_t = PersonEntry.__table__
vehicle_links_t = VehicleLink.__table__


def vehicle_seen_before() -> ColumnElement[bool]:
    """The vehicle links that are ``vehicle_seen_before`` alerts: to an earlier report."""
    return vehicle_links_t.c.other_occurred_at < vehicle_links_t.c.occurred_at


def types_of(link: Any, occurred_at: Any) -> list[str]:
    """The alert types one link raises on its own report (occurred at ``occurred_at``)."""
    found = []
    if link.other_kind == "passport_deferral" and link.other_role == "applicant":
        found.append("deferred_applicant")
    earlier = link.other_occurred_at
    if (
        link.role in ("victim", "suspect")
        and earlier is not None
        and occurred_at is not None
        and earlier < occurred_at
    ):
        found.append("seen_before")
    if link.role == "suspect" and link.other_role == "suspect":
        found.append("repeat_suspect")
    return found


def recompute(conn: Connection, report_ids: list[str]) -> None:
    """Replace the alerts of these reports with what their current links raise."""
    if not report_ids:
        return
    conn.execute(delete(alerts_t).where(alerts_t.c.report_id.in_(report_ids)))
    when = dict(
        conn.execute(
            select(entries_t.c.report_id, entries_t.c.occurred_at)
            .where(entries_t.c.report_id.in_(report_ids))
            .distinct()
        ).all()
    )
    links = conn.execute(select(links_t).where(links_t.c.report_id.in_(report_ids)))
    rows: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for link in links:
        for kind in types_of(link, when.get(link.report_id)):
            rows.setdefault(
                (link.report_id, link.person_id, kind, link.other_report_id),
                {
                    "report_id": link.report_id,
                    "person_id": link.person_id,
                    "type": kind,
                    "other_report_id": link.other_report_id,
                    "other_post": link.other_post,
                    "other_occurred_at": link.other_occurred_at,
                },
            )
    bulk_write(conn, alerts_t, list(rows.values()))
