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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
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


def _labeller(group: str) -> Callable[[Any], list[Any]]:
    """The group values of a stored key value for one grouping (several for modus), memoised.

    Rows repeat the same few hundred days, posts and modus sets: each is
    turned into labels once per request.
    """
    cache: dict[Any, list[Any]] = {}

    def values(raw: Any) -> list[Any]:
        got = cache.get(raw)
        if got is None:
            if group in ("week", "month"):
                got = [_label(raw, group)]
            elif group == "modus":
                got = raw.split(",") if raw else [None]
            else:
                got = [raw or None]
            cache[raw] = got
        return got

    return values


def _sums(found: Cells, group_by: tuple[str, ...]) -> dict[tuple[Any, ...], list[int]]:
    """The measures of every group key, summed over the cells."""
    plan = [(found.columns.index(_KEY_COLUMN.get(g, "day")), _labeller(g)) for g in group_by]
    first = len(found.columns)  # the measures follow the key columns
    sums: dict[tuple[Any, ...], list[int]] = {}
    for row in found.rows:
        if not row[first]:
            continue  # the empty sum of a request that matched nothing
        keys: list[tuple[Any, ...]] = [()]
        for index, values in plan:
            keys = [key + (value,) for key in keys for value in values(row[index])]
        for key in keys:
            total = sums.get(key)
            if total is None:
                sums[key] = [int(v) for v in row[first:]]
            else:
                for i, v in enumerate(row[first:]):
                    total[i] += v
    return sums


def _sort_key(key: tuple[Any, ...]) -> tuple[Any, ...]:
    # Nulls ("no destination", "no modus") sort after every value.
    """Sort order of group keys."""
    return tuple((value is None, value or "") for value in key)


def compute(q: AggregateQuery) -> dict[str, Any]:
    """The aggregate rows for ``q`` (JSON shape of DESIGN §3)."""
    keys = tuple(_KEY_COLUMN[g] for g in q.group_by if g in _KEY_COLUMN)
    timed = "week" in q.group_by or "month" in q.group_by
    found, source = read(
        CellFilter(date_from=q.date_from, date_to=q.date_to, statuses=q.statuses), keys, timed
    )
    sums = _sums(found, q.group_by)
    rows = []
    for key in sorted(sums, key=_sort_key):
        row: dict[str, Any] = dict(zip(q.group_by, key, strict=True))
        for name, value in zip(MEASURES, sums[key], strict=True):
            # Small counts could identify people (a village, one minor):
            # below k they are blanked, never rounded or shifted.
            row[name] = None if q.min_count and value < q.min_count else value
        rows.append(row)
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
    for row in result["rows"]:
        writer.writerow(["" if row[c] is None else row[c] for c in columns])
    return out.getvalue()
