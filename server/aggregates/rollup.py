"""Aggregate cells: per-day counts, from the roll-up table or live, never stale.

A *cell* is the sum of the count columns of every committed, non-retracted
report sharing one day (``occurred_on``), post, kind, review status,
destination and modus set.  The aggregates API groups cells; it never reads
documents.

The ``aggregate-rollup`` job stores the cells of closed days (before the
current ISO week) in ``aggregate_rollup`` together with a watermark: the
change-sequence value its snapshot covered, and the day each report was
counted under (``aggregate_rollup_members``).  A reader takes one snapshot
and serves a rolled day only when no report on it, then or now, has
changed since the watermark (a report that moved from day A to day B makes
both stale); every other day is counted live from ``reports``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_, select, true
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from server.infra.models import AggregateRollup, AggregateRollupMember, Counter, Removal, Report
from server.infra.transactions import read_snapshot
from server.reports.document import COUNT_COLUMNS

reports = Report.__table__
rollup = AggregateRollup.__table__
members = AggregateRollupMember.__table__
counters = Counter.__table__
removals = Removal.__table__

MEASURES = ("reports", *COUNT_COLUMNS)
_KEY_COLUMNS = ("post_code", "kind", "review_status", "destination_country", "modus_key")


@dataclass(frozen=True)
class CellFilter:
    """Which reports count: a day range and review statuses (empty = all)."""

    date_from: date | None = None
    date_to: date | None = None
    statuses: tuple[str, ...] = ()


def live_query(where: ColumnElement[bool]) -> Any:
    """Cells counted from the reports rows matching ``where``."""
    sums = [func.count().label("reports")]
    sums += [func.coalesce(func.sum(reports.c[name]), 0).label(name) for name in COUNT_COLUMNS]
    keys = [reports.c.occurred_on.label("day"), *(reports.c[name] for name in _KEY_COLUMNS)]
    return (
        select(*keys, *sums)
        .where(where, or_(reports.c.retracted.is_(False), reports.c.retracted.is_(None)))
        .group_by(*keys)
    )


def _filter(column: Any, table: Any, f: CellFilter) -> list[ColumnElement[bool]]:
    """Conditions of a cell filter on a table's day and status columns."""
    conds = []
    if f.date_from:
        conds.append(column >= f.date_from)
    if f.date_to:
        conds.append(column <= f.date_to)
    if f.statuses:
        conds.append(table.c.review_status.in_(f.statuses))
    return conds


def cell_row(row: Any) -> dict[str, Any]:
    """A result row as a cell dict with whole-number measures."""
    cell = dict(row._mapping)
    cell["destination_country"] = cell["destination_country"] or None
    cell["modus_key"] = cell["modus_key"] or ""
    for name in MEASURES:
        cell[name] = int(cell[name] or 0)
    return cell


def counter(conn: Connection, name: str) -> int:
    """A named counter's value (0 when absent)."""
    value = conn.execute(select(counters.c.value).where(counters.c.name == name)).scalar()
    return int(value or 0)


def changed_days(conn: Connection, watermark: int) -> set[date | None]:
    """Days whose rolled cells may differ from the current state."""
    changed = select(reports.c.id).where(reports.c.seq > watermark)
    gone = select(removals.c.report_id).where(removals.c.seq > watermark)
    days = set(
        conn.execute(select(reports.c.occurred_on).where(reports.c.seq > watermark)).scalars()
    )
    days |= set(
        conn.execute(
            select(members.c.day).where(
                or_(members.c.report_id.in_(changed), members.c.report_id.in_(gone))
            )
        ).scalars()
    )
    return days


def cells(f: CellFilter) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Every cell matching ``f`` and how they were obtained (rolled and live days)."""
    with read_snapshot() as conn:
        watermark = counter(conn, "rollup_seq")
        cutoff_ordinal = counter(conn, "rollup_cutoff")
        if not cutoff_ordinal:
            rows = conn.execute(
                live_query(and_(true(), *_filter(reports.c.occurred_on, reports, f)))
            )
            return [cell_row(r) for r in rows], {"rolled_until": None, "stale_days": 0}
        cutoff = date.fromordinal(cutoff_ordinal)
        stale = sorted(d for d in changed_days(conn, watermark) if d is not None and d < cutoff)
        rolled_where = [rollup.c.day < cutoff, *_filter(rollup.c.day, rollup, f)]
        if stale:
            rolled_where.append(rollup.c.day.not_in(stale))
        rolled_columns = [rollup.c.day, *(rollup.c[n] for n in _KEY_COLUMNS + MEASURES)]
        out = [cell_row(r) for r in conn.execute(select(*rolled_columns).where(*rolled_where))]
        live_days = [reports.c.occurred_on >= cutoff, reports.c.occurred_on.is_(None)]
        if stale:
            live_days.append(reports.c.occurred_on.in_(stale))
        live_where = and_(or_(*live_days), *_filter(reports.c.occurred_on, reports, f))
        out += [cell_row(r) for r in conn.execute(live_query(live_where))]
        return out, {"rolled_until": cutoff.isoformat(), "stale_days": len(stale)}
