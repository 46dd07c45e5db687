"""Periods and range splitting of the aggregates' reader (``server.aggregates.cells``)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from server.aggregates.cells import CellFilter, next_period, period_start, split

DAYS = st.dates(min_value=date(2024, 12, 1), max_value=date(2026, 2, 28))


@given(DAYS)
def test_a_period_lies_in_one_iso_week_and_one_month(day: date) -> None:
    """Every day from a period's start to the next one shares its week and month."""
    first, after = period_start(day), next_period(day)
    assert first <= day < after and (after - first).days <= 7
    span = [first + timedelta(days=n) for n in range((after - first).days)]
    assert {d.isocalendar()[:2] for d in span} == {first.isocalendar()[:2]}
    assert {(d.year, d.month) for d in span} == {(first.year, first.month)}
    assert period_start(after) == after and period_start(after - timedelta(days=1)) == first


@given(st.none() | DAYS, st.none() | DAYS)
def test_whole_periods_and_edges_cover_the_range_exactly(lo: date | None, hi: date | None) -> None:
    """Within a window, whole periods plus edge days are each day of [lo, hi] exactly once."""
    if lo and hi and lo > hi:
        lo, hi = hi, lo
    plan = split(CellFilter(date_from=lo, date_to=hi))
    window = [date(2024, 11, 1) + timedelta(days=n) for n in range(520)]
    covered: list[date] = []
    if plan.periods is not None:
        first, end = plan.periods
        assert first is None or period_start(first) == first
        assert end is None or period_start(end) == end
        covered += [d for d in window if (first is None or d >= first) and (end is None or d < end)]
    for a, b in plan.edges:
        assert a <= b
        covered += [d for d in window if a <= d <= b]
    inside = [d for d in window if (lo is None or d >= lo) and (hi is None or d <= hi)]
    assert sorted(covered) == inside
