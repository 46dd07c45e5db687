"""Reading the maintained counts (``server.aggregates.models``): which table, which days.

A request is answered from the smallest count table that has every
grouping it asks for: the period tables when it groups by posts and kinds
only, or by destinations and modus only (weeks and months come from the
periods), else the day cells.  A date range rarely starts and ends on
period boundaries: the whole periods inside it come from the period table,
the days at either edge from the day cells, so every range is exact.
Nothing is read from ``reports``: the counts are current as of the read's
snapshot, never stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import BigInteger, Table, cast, func, select
from sqlalchemy.sql.elements import ColumnElement

from server.aggregates.models import (
    NO_DAY,
    AggregateCell,
    AggregatePlacePeriod,
    AggregatePostPeriod,
)
from server.infra.transactions import read_snapshot
from server.reports.document import COUNT_COLUMNS

MEASURES = ("reports", *COUNT_COLUMNS)
cells_t: Table = AggregateCell.__table__
post_periods: Table = AggregatePostPeriod.__table__
place_periods: Table = AggregatePlacePeriod.__table__

#: Period tables and the key columns each can group by, smallest first.
_PERIOD_TABLES = (
    (post_periods, frozenset({"post_code", "kind"})),
    (place_periods, frozenset({"destination_country", "modus_key"})),
)


def period_start(day: date) -> date:
    """First day of the day's period: the later of its week's Monday and its month's 1st."""
    return max(day - timedelta(days=day.weekday()), day.replace(day=1))


def next_period(day: date) -> date:
    """First day of the period after the day's."""
    monday = day - timedelta(days=day.weekday()) + timedelta(days=7)
    first = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    return min(monday, first)


@dataclass(frozen=True, kw_only=True)
class CellFilter:
    """Which reports count: a day range and review statuses (empty = all)."""

    date_from: date | None = None
    date_to: date | None = None
    statuses: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Split:
    """A day range as whole periods ``[first, end)`` plus edge day ranges (inclusive)."""

    periods: tuple[date | None, date | None] | None
    edges: tuple[tuple[date, date], ...]


def split(f: CellFilter) -> Split:
    """The whole periods inside the filter's range, and the days left at its edges."""
    lo, hi = f.date_from, f.date_to
    first = lo if lo is None or period_start(lo) == lo else next_period(lo)
    end: date | None = None
    if hi is not None:
        after = hi + timedelta(days=1)
        end = after if next_period(hi) == after else period_start(hi)
    if lo is not None and hi is not None and first is not None and end is not None:
        if first >= end:  # the range lies inside one period (or two partial ones)
            return Split(periods=None, edges=((lo, hi),))
    edges = []
    if lo is not None and first is not None and lo < first:
        edges.append((lo, first - timedelta(days=1)))
    if hi is not None and end is not None and end <= hi:
        edges.append((end, hi))
    return Split(periods=(first, end), edges=tuple(edges))


def _table_for(keys: frozenset[str]) -> Table:
    """The smallest table that can group by ``keys``."""
    for table, has in _PERIOD_TABLES:
        if keys <= has:
            return table
    return cells_t


@dataclass(frozen=True, kw_only=True)
class Cells:
    """Summed cells: key ``columns`` (``day`` first when timed), each row then the MEASURES."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


def _select(
    table: Table, keys: tuple[str, ...], timed: bool, where: list[ColumnElement[bool]]
) -> Any:
    """Summed measures of ``table``'s rows matching ``where``, grouped by the keys (and period).

    Every table has the period of its rows: days of one period share their
    ISO week and month, so a timed request sums per period in SQL.
    """
    groups = ([table.c.period] if timed else []) + [table.c[k] for k in keys]
    # PostgreSQL sums bigints as numeric (Decimal in Python): cast back.
    sums = [cast(func.sum(table.c[m]), BigInteger) for m in MEASURES]
    query = select(*groups, *sums).where(*where)
    return query.group_by(*groups) if groups else query


def read(f: CellFilter, keys: tuple[str, ...], timed: bool) -> tuple[Cells, dict[str, Any]]:
    """Cells matching ``f`` summed per ``keys`` (and per period when ``timed``).

    ``keys`` are count-table columns (post_code, kind, destination_country,
    modus_key); a timed row's ``day`` is the first day of a period, in the
    ISO week and month of every day it sums.  Also returns what was read,
    for the answer's ``source``.
    """
    table = _table_for(frozenset(keys))
    plan = split(f) if table is not cells_t else Split(periods=None, edges=())
    rows: list[tuple[Any, ...]] = []
    with read_snapshot() as conn:
        if table is cells_t:
            where = _range(cells_t.c.day, f.date_from, f.date_to, f)
            rows += conn.execute(_select(cells_t, keys, timed, where)).all()
        if plan.periods is not None:
            first, end = plan.periods
            where = _range(table.c.period, first, None, f)
            if end is not None:
                where.append(table.c.period < end)
            rows += conn.execute(_select(table, keys, timed, where)).all()
        for lo, hi in plan.edges:
            where = _range(cells_t.c.day, lo, hi, f)
            rows += conn.execute(_select(cells_t, keys, timed, where)).all()
    edge_days = sum((hi - lo).days + 1 for lo, hi in plan.edges)
    columns = (("day",) if timed else ()) + keys
    return Cells(columns=columns, rows=rows), {"table": table.name, "edge_days": edge_days}


def _range(column: Any, lo: date | None, hi: date | None, f: CellFilter) -> list[Any]:
    """Conditions for days (or periods) in ``[lo, hi]`` and the filter's statuses.

    A report without a day counts only when the request names no dates.
    """
    conds = []
    if lo is not None:
        conds.append(column >= lo)
    if hi is not None:
        conds.append(column <= hi)
    if f.date_from is not None or f.date_to is not None:
        conds.append(column > NO_DAY)
    if f.statuses:
        conds.append(column.table.c.review_status.in_(f.statuses))
    return conds
