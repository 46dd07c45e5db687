"""The review queue: reports in the caller's scope, filtered, oldest waiting first.

The API (``GET /api/v1/reports``) and the queue page share this module, so
both filter and order the same way.  Filters work on the columns derived
from each document (``server.documents.derived_columns``), never on the
document text itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from server.auth import Principal, aware, utcnow
from server.db import db
from server.detection.alerts import ALERT_TYPES
from server.detection.views import alert_types
from server.documents import iso_ms
from server.models import PersonAlert, Report
from server.problems import Problem
from sync import vocab

reports = Report.__table__

WAITING = ("submitted", "in_review")
MAX_PER_PAGE = 200


@dataclass
class QueueFilter:
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


def _values(args: Mapping[str, Any], name: str) -> list[str]:
    """A repeatable or comma-separated query parameter as a list."""
    getlist = getattr(args, "getlist", None)
    raw = getlist(name) if getlist else [args.get(name) or ""]
    return [v.strip() for item in raw for v in str(item).split(",") if v.strip()]


def _choices(args: Mapping[str, Any], name: str, allowed: tuple[str, ...], errors: dict) -> list:
    """A list parameter whose values must come from ``allowed``."""
    values = _values(args, name)
    bad = [v for v in values if v not in allowed]
    if bad:
        errors[name] = ["must be one of: " + ", ".join(allowed)]
    return values


def parse_date(raw: str | None, name: str, errors: dict[str, list[str]]) -> date | None:
    """A ``YYYY-MM-DD`` query value, or a field error."""
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = ["must be a date such as 2026-11-20"]
        return None


def _int(raw: Any, name: str, lo: int, hi: int, default: int, errors: dict) -> int:
    """A bounded whole-number parameter, or a field error."""
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = lo - 1
    if not lo <= value <= hi:
        errors[name] = [f"must be a whole number from {lo} to {hi}"]
        return default
    return value


def parse_filters(args: Mapping[str, Any]) -> QueueFilter:
    """Read the queue's query parameters; a 400 problem lists every bad one."""
    errors: dict[str, list[str]] = {}
    result = QueueFilter(
        statuses=_choices(args, "status", vocab.REVIEW_STATUSES, errors),
        kinds=_choices(args, "kind", vocab.KINDS, errors),
        posts=[p.upper() for p in _values(args, "post")],
        date_from=parse_date(args.get("from"), "from", errors),
        date_to=parse_date(args.get("to"), "to", errors),
        route=(args.get("route") or "").strip()[:200],
        text=(args.get("q") or args.get("text") or "").strip()[:200],
        page=_int(args.get("page"), "page", 1, 100_000, 1, errors),
        per_page=_int(args.get("per_page"), "per_page", 1, MAX_PER_PAGE, 50, errors),
        alerts=_choices(args, "alert", ALERT_TYPES, errors),
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


def scope_clause(principal: Principal, posts: list[str]) -> ColumnElement[bool]:
    """Rows the caller may see, narrowed to ``posts`` when given."""
    visible = principal.posts()
    wanted = set(posts) if posts else None
    if visible is not None:
        wanted = visible if wanted is None else wanted & visible
    if wanted is None:
        return reports.c.id.is_not(None)
    return reports.c.post_code.in_(sorted(wanted))


def conditions(principal: Principal, f: QueueFilter) -> list[ColumnElement[bool]]:
    """SQL conditions of every filter but the status (counts per status ignore it)."""
    conds = [scope_clause(principal, f.posts)]
    if f.kinds:
        conds.append(reports.c.kind.in_(f.kinds))
    if f.date_from:
        conds.append(reports.c.occurred_on >= f.date_from)
    if f.date_to:
        conds.append(reports.c.occurred_on <= f.date_to)
    if f.route:
        conds.append(func.lower(reports.c.route).like(_like(f.route), escape="\\"))
    if f.text:
        conds.append(reports.c.search_text.like(_like(f.text), escape="\\"))
    if f.alerts:
        alerted = select(PersonAlert.report_id).where(PersonAlert.type.in_(f.alerts))
        conds.append(reports.c.id.in_(alerted))
    return conds


def sla_cutoff() -> datetime:
    """Reports waiting since before this are overdue for review."""
    return utcnow() - timedelta(hours=float(current_app.config["PATROLI_REVIEW_SLA_HOURS"]))


def summary(row: Any, cutoff: datetime) -> dict[str, Any]:
    """One queue entry: what a commander needs to pick the next report."""
    since = aware(row.status_since)
    return {
        "id": row.id,
        "post": row.post_code,
        "kind": row.kind,
        "title": row.title,
        "route": row.route,
        "occurred_at": iso_ms(aware(row.occurred_at)),
        "occurred_on": row.occurred_on.isoformat() if row.occurred_on else None,
        "author": row.author,
        "device_id": row.device_id,
        "status": row.review_status,
        "status_since": iso_ms(since),
        "updated_at": iso_ms(row.updated_at),
        "rev": row.rev,
        "open_conflicts": row.open_conflicts,
        "retracted": row.retracted,
        "persons": row.persons,
        "victims": row.victims,
        "overdue": row.review_status in WAITING and since is not None and since < cutoff,
    }


def counts_by_status(principal: Principal, f: QueueFilter) -> dict[str, int]:
    """How many reports match the other filters, per review status (all statuses listed)."""
    query = (
        select(reports.c.review_status, func.count())
        .where(and_(*conditions(principal, f)))
        .group_by(reports.c.review_status)
    )
    counts = dict.fromkeys(vocab.REVIEW_STATUSES, 0)
    counts.update({status: n for status, n in db.session.execute(query)})
    return counts


def search(principal: Principal, f: QueueFilter) -> dict[str, Any]:
    """A page of the queue, its total and the counts per status."""
    conds = conditions(principal, f)
    if f.statuses:
        conds.append(reports.c.review_status.in_(f.statuses))
    where = and_(*conds)
    total = db.session.execute(select(func.count()).select_from(reports).where(where)).scalar()
    columns = [
        reports.c[name]
        for name in (
            "id",
            "post_code",
            "kind",
            "title",
            "route",
            "occurred_at",
            "occurred_on",
            "author",
            "device_id",
            "review_status",
            "status_since",
            "updated_at",
            "rev",
            "open_conflicts",
            "retracted",
            "persons",
            "victims",
        )
    ]
    query = (
        select(*columns)
        .where(where)
        # Oldest waiting first; the id keeps pages stable between equal times.
        .order_by(reports.c.status_since.asc(), reports.c.id.asc())
        .offset((f.page - 1) * f.per_page)
        .limit(f.per_page)
    )
    cutoff = sla_cutoff()
    rows = [summary(row, cutoff) for row in db.session.execute(query)]
    badges = alert_types(row["id"] for row in rows)
    for row in rows:
        row["alerts"] = badges.get(row["id"], [])
    return {
        "reports": rows,
        "counts": counts_by_status(principal, f),
        "total": total,
        "page": f.page,
        "per_page": f.per_page,
        "has_more": f.page * f.per_page < total,
    }


def waiting_overdue(principal: Principal | None = None) -> Any:
    """A query of waiting reports past the review SLA (all posts, or the caller's)."""
    conds = [
        reports.c.review_status.in_(WAITING),
        reports.c.status_since < sla_cutoff(),
        or_(reports.c.retracted.is_(False), reports.c.retracted.is_(None)),
    ]
    if principal is not None:
        conds.append(scope_clause(principal, []))
    return select(reports.c.id, reports.c.post_code, reports.c.status_since).where(and_(*conds))
