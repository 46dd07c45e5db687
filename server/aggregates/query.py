"""HQ aggregates (DESIGN §3): report and person counts grouped, as JSON or CSV.

Counts come from the maintained count tables (``server.aggregates.cells``),
already summed by the database per key; ISO weeks, months and the modus
lists are grouped here in Python because they are not portable SQL, over
a few thousand rows at most.  A report with several modus codes counts
once in each of its modus groups; one with none is in the group ``null``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from itertools import product
from operator import add, itemgetter
from typing import Any

from server.aggregates.cells import MEASURES, CellFilter, Cells, read
from server.aggregates.models import NO_DAY
from server.http.params import parse_date
from server.infra.problems import Problem
from sync import vocab

GROUPS = ("post", "kind", "week", "month", "destination_country", "modus")
#: The count-table column behind each grouping that is not a time.
_KEY_COLUMN = {
    "post": "post_code",
    "kind": "kind",
    "destination_country": "destination_country",
    "modus": "modus_key",
}
FORMATS = ("json", "csv")


@dataclass(frozen=True)
class AggregateQuery:
    """A parsed aggregates request."""

    group_by: tuple[str, ...]
    date_from: date | None
    date_to: date | None
    statuses: tuple[str, ...]
    min_count: int | None
    fmt: str


def _list(raw: str | None) -> list[str]:
    """A comma-separated parameter as a list."""
    return [v.strip() for v in (raw or "").split(",") if v.strip()]


def parse_query(args: Mapping[str, Any]) -> AggregateQuery:
    """Read the query parameters; a 400 problem lists every bad one."""
    errors: dict[str, list[str]] = {}
    group_by = _list(args.get("group_by"))
    if any(g not in GROUPS for g in group_by) or len(set(group_by)) != len(group_by):
        errors["group_by"] = ["must be distinct names from: " + ", ".join(GROUPS)]
    statuses = _list(args.get("status"))
    if any(s not in vocab.REVIEW_STATUSES for s in statuses):
        errors["status"] = ["must be one of: " + ", ".join(vocab.REVIEW_STATUSES)]
    min_count = None
    if args.get("min_count") not in (None, ""):
        try:
            min_count = int(args["min_count"])
        except ValueError:
            min_count = 0
        if min_count < 1:
            errors["min_count"] = ["must be a whole number of at least 1"]
    fmt = args.get("format") or "json"
    if fmt not in FORMATS:
        errors["format"] = ["must be json or csv"]
    date_from = parse_date(args.get("from"), "from", errors)
    date_to = parse_date(args.get("to"), "to", errors)
    if date_from and date_to and date_from > date_to:
        errors["to"] = ["must not be before from"]
    if errors:
        raise Problem(400, "validation-failed", "Some parameters are not valid.", errors=errors)
    return AggregateQuery(tuple(group_by), date_from, date_to, tuple(statuses), min_count, fmt)


def iso_week(day: date | None) -> str | None:
    """ISO week label of a day, e.g. ``2026-W47``."""
    if day is None:
        return None
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _label(day: date | None, group: str) -> str | None:
    """The week or month label of a day (None for a report without a day)."""
    if day is None or day == NO_DAY:
        return None
    return iso_week(day) if group == "week" else day.strftime("%Y-%m")


def _values(group: str, raw: Any) -> tuple[Any, ...]:
    """The group values of one stored key value (several for a modus set)."""
    if group in ("week", "month"):
        return (_label(raw, group),)
    if group == "modus":
        return tuple(raw.split(",")) if raw else (None,)
    return (raw or None,)


def _sums(found: Cells, group_by: tuple[str, ...]) -> dict[tuple[Any, ...], tuple[int, ...]]:
    """The measures of every group key, summed over the cells.

    Rows repeat the same few hundred days, posts and modus sets: each
    distinct stored value is labelled once, then every row is a few dict
    look-ups.  Most keys come from one row; only rows that share a key (two
    periods of one week, a report in several modus groups) are added up.
    """
    first = len(found.columns)  # the measures follow the key columns
    indexes = [found.columns.index(_KEY_COLUMN.get(g, "day")) for g in group_by]
    labels = [
        {raw: _values(g, raw) for raw in {row[i] for row in found.rows}}
        for g, i in zip(group_by, indexes, strict=True)
    ]
    plan = list(zip(labels, indexes, strict=True))
    sums: dict[tuple[Any, ...], tuple[int, ...]] = {}
    for row in found.rows:
        counts = tuple(row[first:])
        if not counts[0]:
            continue  # the empty sum of a request that matched nothing
        for key in product(*[values[row[i]] for values, i in plan]):
            total = sums.get(key)
            sums[key] = counts if total is None else tuple(map(add, total, counts))
    return sums


def _ordered(keys: Iterable[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Group keys in order; nulls ("no destination", "no modus") after every value.

    Without a null the plain order of the tuples (all strings) is the same,
    and sorting by them is several times faster than by a key function.
    """
    keys = list(keys)
    if any(None in key for key in keys):
        return sorted(keys, key=lambda key: tuple([(v is None, v or "") for v in key]))
    return sorted(keys)


def compute(q: AggregateQuery) -> dict[str, Any]:
    """The aggregate rows for ``q`` (JSON shape of DESIGN §3)."""
    keys = tuple(_KEY_COLUMN[g] for g in q.group_by if g in _KEY_COLUMN)
    timed = "week" in q.group_by or "month" in q.group_by
    found, source = read(
        CellFilter(date_from=q.date_from, date_to=q.date_to, statuses=q.statuses), keys, timed
    )
    sums = _sums(found, q.group_by)
    names = (*q.group_by, *MEASURES)
    k = q.min_count
    rows = []
    for key in _ordered(sums):
        counts: tuple[int | None, ...] = sums[key]
        if k:
            # Small counts could identify people (a village, one minor):
            # below k they are blanked, never rounded or shifted.
            counts = tuple([None if v < k else v for v in sums[key]])
        rows.append(dict(zip(names, (*key, *counts), strict=True)))
    return {
        "group_by": list(q.group_by),
        "from": q.date_from.isoformat() if q.date_from else None,
        "to": q.date_to.isoformat() if q.date_to else None,
        "status": list(q.statuses),
        "min_count": q.min_count,
        "rows": rows,
        "source": source,
    }


def to_csv(result: dict[str, Any]) -> str:
    """The rows as CSV: group columns first, then the measures; blanked counts empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    columns = [*result["group_by"], *MEASURES]
    writer.writerow(columns)
    # The csv module writes None (a blanked count) as an empty field.
    writer.writerows(map(itemgetter(*columns), result["rows"]))
    return out.getvalue()
