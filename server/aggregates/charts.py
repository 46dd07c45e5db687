"""Dashboard charts rendered on the server as inline SVG (pygal), no scripts, no CDN."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

import pygal
from pygal.style import Style

# pygal appends a legacy import hook (for its map plugins, unused here) to
# sys.meta_path; every later failed import then raises an ImportWarning from
# it, which breaks any code run with warnings as errors.  Take it out again.
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "PluginImportFixer"]

_STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#3b4656",
    foreground_strong="#1d2633",
    foreground_subtle="#d6dbe3",
    opacity=".9",
    opacity_hover="1",
    colors=("#1f6f8b", "#e07a2f", "#99b84c", "#8a5fbf", "#c94f5d", "#4c9fb8"),
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    label_font_size=12,
    major_label_font_size=12,
    value_font_size=11,
    legend_font_size=12,
    title_font_size=14,
)

_COMMON = {
    "style": _STYLE,
    "js": [],  # pygal links its tooltip script from the internet by default
    "disable_xml_declaration": True,
    "show_legend": True,
    "legend_at_bottom": True,
    "legend_at_bottom_columns": 3,
    "height": 320,
    "width": 640,
    "margin": 12,
    "print_values": False,
    "explicit_size": False,
    "no_data_text": "—",
}


def _series(rows: list[dict[str, Any]], measures: dict[str, str]) -> dict[str, list[int | None]]:
    """One list of values per measure, in row order; a hidden count stays None.

    The aggregates give None for a count hidden by ``min_count``.  It is a
    small number, not zero: drawn as 0 it would tell a reader the week had
    no victims.  pygal leaves None out (a gap in a line, no bar).
    """
    return {label: [row.get(m) for row in rows] for m, label in measures.items()}


def hidden(rows: list[dict[str, Any]], measures: Iterable[str]) -> bool:
    """True when some count of ``measures`` is hidden (and so not drawn)."""
    return any(row.get(m) is None for row in rows for m in measures)


def _whole_ticks(series: dict[str, list[int | None]]) -> list[int]:
    # Counts are whole numbers; pygal would otherwise label 0.2, 0.4, ...
    """Whole-number axis ticks covering every value."""
    top = max([v for values in series.values() for v in values if v is not None] or [0])
    step = max(1, -(-top // 8))
    return list(range(0, top + step + 1, step))


def trend(rows: list[dict[str, Any]], measures: dict[str, str]) -> str:
    """A line chart of measures per week (rows ordered by week)."""
    series = _series(rows, measures)
    chart = pygal.Line(
        x_label_rotation=30,
        dots_size=3,
        include_x_axis=True,
        allow_interruptions=True,  # a hidden week breaks the line instead of joining over it
        y_labels=_whole_ticks(series),
        **_COMMON,
    )
    chart.x_labels = [row["week"] or "—" for row in rows]
    for label, values in series.items():
        chart.add(label, values)
    return chart.render(is_unicode=True)


def bars(rows: list[dict[str, Any]], key: str, measures: dict[str, str], labels: Any = None) -> str:
    """A horizontal bar chart of measures per value of ``key``, first row on top."""
    rows = list(reversed(rows))  # pygal draws the first label at the bottom
    series = _series(rows, measures)
    chart = pygal.HorizontalBar(y_labels=_whole_ticks(series), **_COMMON)
    chart.x_labels = [labels(row[key]) if labels else (row[key] or "—") for row in rows]
    for label, values in series.items():
        chart.add(label, values)
    return chart.render(is_unicode=True)
