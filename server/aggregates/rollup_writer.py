"""Writing the roll-up: per-day cells of closed weeks, brought up to date with the reports.

The readers (``server.aggregates.rollup``) combine these stored cells with
live counts of every day changed since, so the roll-up is never stale, only
slower to read while it lags.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from server.aggregates.rollup import (
    cell_row,
    changed_days,
    counter,
    counters,
    live_query,
    members,
    removals,
    reports,
    rollup,
)
from server.infra.clock import utcnow
from server.infra.transactions import write_connection


def closed_cutoff(today: date) -> date:
    """The first day that is not closed yet: the Monday of the current ISO week."""
    return today - timedelta(days=today.weekday())


def _rebuild_days(conn: Connection, days_where: ColumnElement[bool], cutoff: date) -> int:
    """Store the cells of closed days matching ``days_where``; return how many."""
    rows = [
        {
            **cell_row(r),
            "destination_country": r.destination_country or "",
            "modus_key": r.modus_key,
        }
        for r in conn.execute(live_query(and_(days_where, reports.c.occurred_on < cutoff)))
    ]
    if rows:
        conn.execute(insert(rollup), rows)
    return len(rows)


def _set_counter(conn: Connection, name: str, value: int) -> None:
    """Set a named counter, creating it if needed."""
    done = conn.execute(
        update(counters).where(counters.c.name == name).values(value=value)
    ).rowcount
    if not done:
        conn.execute(insert(counters).values(name=name, value=value))


def roll_up(today: date | None = None) -> dict[str, Any]:
    """Bring the roll-up up to date with the committed reports; return what it did."""
    cutoff = closed_cutoff(today or utcnow().date())
    with write_connection(snapshot=True) as conn:
        # One snapshot: every report with seq <= the counter's value has
        # committed (seq order is commit order) and none above it is seen.
        top = counter(conn, "seq")
        watermark = counter(conn, "rollup_seq")
        old_cutoff = counter(conn, "rollup_cutoff")
        if not old_cutoff:
            conn.execute(delete(rollup))
            conn.execute(delete(members))
            rows = _rebuild_days(conn, reports.c.occurred_on.is_not(None), cutoff)
            stale_days: Iterable[date] = []
            changed = select(reports.c.id, reports.c.occurred_on)
        else:
            stale_days = sorted(d for d in changed_days(conn, watermark) if d is not None)
            begin = date.fromordinal(old_cutoff)
            conn.execute(
                delete(rollup).where(or_(rollup.c.day.in_(stale_days), rollup.c.day >= cutoff))
            )
            newly_closed = and_(reports.c.occurred_on >= begin, reports.c.occurred_on < cutoff)
            rows = _rebuild_days(
                conn, or_(reports.c.occurred_on.in_(stale_days), newly_closed), cutoff
            )
            ids = select(reports.c.id).where(reports.c.seq > watermark)
            gone = select(removals.c.report_id).where(removals.c.seq > watermark)
            conn.execute(delete(members).where(members.c.report_id.in_(ids)))
            conn.execute(delete(members).where(members.c.report_id.in_(gone)))
            changed = select(reports.c.id, reports.c.occurred_on).where(reports.c.seq > watermark)
        conn.execute(insert(members).from_select(["report_id", "day"], changed))
        _set_counter(conn, "rollup_seq", top)
        _set_counter(conn, "rollup_cutoff", cutoff.toordinal())
    return {
        "rolled_until": cutoff.isoformat(),
        "stale_days": len(list(stale_days)),
        "rows": rows,
        "watermark": top,
    }
