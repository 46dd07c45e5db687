"""Which reports a listing shows: the caller's scope and the filters of the query string.

The review queue, the GeoJSON export and the aggregates share these, so
all of them filter the same way.  Filters work on the columns derived from
each document (``server.reports.document.derived_columns``), never on the
document text itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Date, exists, func, literal_column, or_, select, true, union
from sqlalchemy.sql.elements import ColumnElement

from server.detection.alerts import ALERT_TYPES, VEHICLE_SEEN_BEFORE, vehicle_seen_before
from server.detection.models import PersonAlert, VehicleLink
from server.http.auth import Principal
from server.http.params import bounded_int, choices, parse_date, values
from server.infra.db import db
from server.infra.models import Report
from server.infra.problems import Problem
from server.reports import text_search
from sync import vocab

reports = Report.__table__

MAX_PER_PAGE = 200


@dataclass
class ReportFilter:
    """What the caller asked for; empty lists mean "any"."""

    statuses: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    posts: list[str] = field(default_factory=list)
    date_from: date | None = None
    date_to: date | None = None
    route: str = ""
    text: str = ""
    page: int = 1
    per_page: int = 50
    alerts: list[str] = field(default_factory=list)


def parse_filters(args: Mapping[str, Any]) -> ReportFilter:
    """Read the queue's query parameters; a 400 problem lists every bad one."""
    errors: dict[str, list[str]] = {}
    result = ReportFilter(
        statuses=choices(args, "status", vocab.REVIEW_STATUSES, errors),
        kinds=choices(args, "kind", vocab.KINDS, errors),
        posts=[p.upper() for p in values(args, "post")],
        date_from=parse_date(args.get("from"), "from", errors),
        date_to=parse_date(args.get("to"), "to", errors),
        route=(args.get("route") or "").strip()[:200],
        text=(args.get("q") or args.get("text") or "").strip()[:200],
        page=bounded_int(args.get("page"), "page", 1, 100_000, 1, errors),
        per_page=bounded_int(args.get("per_page"), "per_page", 1, MAX_PER_PAGE, 50, errors),
        alerts=choices(args, "alert", ALERT_TYPES, errors),
    )
    if result.date_from and result.date_to and result.date_from > result.date_to:
        errors["to"] = ["must not be before from"]
    if errors:
        raise Problem(400, "validation-failed", "Some filters are not valid.", errors=errors)
    return result


def _like(text: str) -> str:
    """A LIKE pattern matching ``text`` literally, case-folded."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _wanted_posts(principal: Principal, posts: list[str]) -> set[str] | None:
    """The posts whose rows the caller may see, narrowed to ``posts``; None for all."""
    visible = principal.posts()
    wanted = set(posts) if posts else None
    if visible is not None:
        wanted = visible if wanted is None else wanted & visible
    return wanted


def scope_clause(principal: Principal, posts: list[str]) -> ColumnElement[bool]:
    """Rows the caller may see, narrowed to ``posts`` when given."""
    return _in_posts(_wanted_posts(principal, posts))


def _in_posts(wanted: set[str] | None) -> ColumnElement[bool]:
    if wanted is None:
        # A plain TRUE, not a condition on a column: the planner can then
        # answer counts from an index alone instead of reading every row.
        return true()
    return reports.c.post_code.in_(sorted(wanted))


def _day(narrowed: bool) -> ColumnElement[Any]:
    """``occurred_on`` for a date filter.

    Within a post, SQLite must not pick the index on the day alone (it
    would read the row of every report of that period in every post, to
    learn its post): a unary "+" leaves it the post's index, which holds
    the day.  PostgreSQL has no "+" for dates and plans this well itself.
    """
    if narrowed and db.session.get_bind().dialect.name == "sqlite":
        return literal_column("+reports.occurred_on", Date)
    return reports.c.occurred_on


def conditions(
    principal: Principal, f: ReportFilter, *, whole: bool = False
) -> list[ColumnElement[bool]]:
    """SQL conditions of every filter but the status (counts per status ignore it).

    ``whole``: the query reads every matching row (the counts), not the
    first rows of an order (a page).
    """
    wanted = _wanted_posts(principal, f.posts)
    conds = [_in_posts(wanted)]
    narrowed = wanted is not None
    if f.kinds:
        conds.append(reports.c.kind.in_(f.kinds))
    day = _day(narrowed)
    if f.date_from:
        conds.append(day >= f.date_from)
    if f.date_to:
        conds.append(day <= f.date_to)
    if f.route:
        conds.append(func.lower(reports.c.route).like(_like(f.route), escape="\\"))
    matched = text_search.match_clause(f.text, narrowed)
    if matched is not None:
        conds.append(matched)
    if f.alerts:
        conds.append(_alerted(f.alerts, wanted, whole=whole))
    return conds


def _alerted(types: list[str], posts: set[str] | None, *, whole: bool) -> ColumnElement[bool]:
    """The report has an alert of one of ``types``; ``posts``: the scope (None: all posts).

    Within posts, each of their reports is probed for its alerts by report
    id (indexed): reading every post's alerts of a type instead, then the
    row of each alerted report to learn its post, grows with the whole
    country (1.9 s for ``seen_before`` at a million reports, 15% alerted).
    A page probes the reports in its order and stops when it is full.
    Counts probe the ids of the post's queue index (it holds the id) and
    read the rows of the alerted ones only: probing from the index of the
    counts would read the row of every report of the post for its id.
    Over every post, the alerts of those types are at most all the
    reports, so there they drive.
    """
    person = select(PersonAlert.report_id).where(PersonAlert.type.in_(types))
    vehicle = None
    if VEHICLE_SEEN_BEFORE in types:
        vehicle = select(VehicleLink.report_id).where(vehicle_seen_before())
    if posts is None:
        return reports.c.id.in_(person if vehicle is None else person.union(vehicle))
    probed = reports.alias("probed") if whole else reports
    found = [exists(person.where(PersonAlert.report_id == probed.c.id))]
    if vehicle is not None:
        found.append(exists(vehicle.where(VehicleLink.report_id == probed.c.id)))
    if not whole:
        return or_(*found)
    # One branch per table: PostgreSQL plans each as a semi-join, where an OR
    # of the two would leave it guessing most of the post's rows match.
    in_posts = probed.c.post_code.in_(sorted(posts))
    ids = [select(probed.c.id).where(in_posts, alerted) for alerted in found]
    return reports.c.id.in_(ids[0] if len(ids) == 1 else union(*ids))
