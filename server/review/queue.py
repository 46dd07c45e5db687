"""The review queue: reports in the caller's scope, filtered, oldest waiting first.

The API (``GET /api/v1/reports``) and the queue page share this module, so
both order the same way; what they filter on is ``server.reports.filters``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, func, or_, select

from server.detection.views import alert_types
from server.http.auth import Principal
from server.infra.clock import iso_ms, utcnow
from server.infra.db import db
from server.infra.models import Report
from server.reports.filters import ReportFilter, conditions, scope_clause
from sync import vocab

reports = Report.__table__

WAITING = ("submitted", "in_review")


def sla_cutoff() -> datetime:
    """Reports waiting since before this are overdue for review."""
    return utcnow() - timedelta(hours=float(current_app.config["PATROLI_REVIEW_SLA_HOURS"]))


def summary(row: Any, cutoff: datetime) -> dict[str, Any]:
    """One queue entry: what a commander needs to pick the next report."""
    since = row.status_since
    return {
        "id": row.id,
        "post": row.post_code,
        "kind": row.kind,
        "title": row.title,
        "route": row.route,
        "occurred_at": iso_ms(row.occurred_at),
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


def counts_by_status(principal: Principal, f: ReportFilter) -> dict[str, int]:
    """How many reports match the other filters, per review status (all statuses listed)."""
    query = (
        select(reports.c.review_status, func.count())
        .where(and_(*conditions(principal, f, whole=True)))
        .group_by(reports.c.review_status)
    )
    counts = dict.fromkeys(vocab.REVIEW_STATUSES, 0)
    counts.update({status: n for status, n in db.session.execute(query)})
    return counts


def search(principal: Principal, f: ReportFilter) -> dict[str, Any]:
    """A page of the queue, its total and the counts per status."""
    conds = conditions(principal, f)
    if f.statuses:
        conds.append(reports.c.review_status.in_(f.statuses))
    where = and_(*conds)
    counts = counts_by_status(principal, f)
    # The counts per status already cover every other filter: the total is
    # their sum over the statuses asked for (one pass over the rows, not two).
    total = sum(n for status, n in counts.items() if not f.statuses or status in f.statuses)
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
        "counts": counts,
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
