"""The HQ dashboard: trend per week, by post, destination and modus, with tables."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from markupsafe import Markup

from server.aggregates import charts
from server.aggregates import query as aggregates
from server.http import labels
from server.infra.problems import Problem
from server.web.access import page
from sync import vocab

bp = Blueprint("web_dashboard", __name__)

TABLE_MEASURES = ("reports", "persons", "victims", "victims_minor", "victims_female", "suspects")
_SCRIPT = re.compile(r"<script\b.*?</script>|<!--.*?-->", re.S)


def _svg(svg: str) -> Markup:
    # pygal escapes labels itself; its inline config script is not needed
    # (no tooltips without its external script) and the page's CSP forbids it.
    """pygal's SVG, without its script and comments, marked safe for the template."""
    return Markup(_SCRIPT.sub("", svg))  # noqa: S704 - SVG built by pygal from counts


def _query(group_by: str, args: dict[str, Any]) -> aggregates.AggregateQuery:
    """The aggregates query of one panel."""
    return aggregates.parse_query({**args, "group_by": group_by, "format": "json"})


def _panel(
    key: str, title: str, args: dict[str, Any], label: Any, trend: bool = False
) -> dict[str, Any]:
    """One dashboard panel: its chart, table rows and CSV link."""
    result = aggregates.compute(_query(key, args))
    rows = result["rows"]
    measures = {m: labels.measure(m) for m in ("reports", "victims", "victims_minor")}
    if trend:
        svg = charts.trend(rows, measures)
    else:
        rows = sorted(rows, key=lambda r: -(r["reports"] or 0))
        svg = charts.bars(rows, key, measures, label)
    export = {k: v for k, v in args.items() if v}
    return {
        "key": key,
        "title": title,
        "svg": _svg(svg),
        "rows": rows,
        "hidden": charts.hidden(rows, TABLE_MEASURES),  # the table's "·" too
        "label": label,
        "csv": url_for("aggregates.aggregates", group_by=key, format="csv", **export),
    }


@bp.get("/dashboard")
@page("hq", "admin")
def index() -> ResponseReturnValue:
    """Four charts over the chosen period and statuses, each with its table."""
    args = {k: request.args.get(k, "") for k in ("from", "to", "status", "min_count")}
    errors: dict[str, list[str]] = {}
    try:
        aggregates.parse_query(args)
    except Problem as exc:
        errors = exc.errors or {}
        args = dict.fromkeys(args, "")
    panels = [
        _panel("week", _("Reports per week"), args, None, trend=True),
        _panel("post", _("By post"), args, None),
        _panel("destination_country", _("By destination country"), args, labels.country),
        _panel("modus", _("By modus"), args, labels.modus),
    ]
    return render_template(
        "dashboard.html",
        panels=panels,
        args=args,
        errors=errors,
        statuses=vocab.REVIEW_STATUSES,
        measures=TABLE_MEASURES,
    )
