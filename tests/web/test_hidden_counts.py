"""A count hidden by ``min_count`` is not zero: the charts leave it out and say so."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from server.aggregates import charts
from tests.web.pages import sign_in
from tests.world import World, incident

SVG = "{http://www.w3.org/2000/svg}"
MEASURES = {"reports": "Reports", "victims": "Victims"}


def _drawn(svg: str, series: int) -> dict[str, str]:
    """The points (or bars) pygal drew for one series: x label -> value shown."""
    root = ET.fromstring(svg)
    points = {}
    for group in root.iter(f"{SVG}g"):
        if f"serie-{series} " not in group.get("class", "") + " ":
            continue
        for dots in group.iter(f"{SVG}g"):
            if dots.get("class") not in ("dots", "bar"):
                continue
            desc = {d.get("class"): d.text for d in dots.iter(f"{SVG}desc")}
            points[desc["x_label"]] = desc["value"]
    return points


def test_trend_leaves_a_hidden_week_out_of_its_line() -> None:
    """A week whose count is hidden has no point and breaks the line; others are drawn."""
    rows = [
        {"week": "2026-W45", "reports": 4, "victims": 3},
        {"week": "2026-W46", "reports": 4, "victims": None},
        {"week": "2026-W47", "reports": 5, "victims": 3},
        {"week": "2026-W48", "reports": 6, "victims": 4},
    ]
    svg = charts.trend(rows, MEASURES)
    assert _drawn(svg, 0) == {"2026-W45": "4", "2026-W46": "4", "2026-W47": "5", "2026-W48": "6"}
    assert _drawn(svg, 1) == {"2026-W45": "3", "2026-W47": "3", "2026-W48": "4"}
    # Victims: W45 stands alone, W47-W48 is a line; nothing joins W45 to W47.
    lines = re.findall(r'<path d="M([^"]*)" class="line', svg)
    assert len(lines) == 3  # the axis, the reports line, the victims W47-W48 line
    assert charts.hidden(rows, MEASURES) and not charts.hidden(rows[:1], MEASURES)


def test_bars_draw_no_bar_for_a_hidden_count() -> None:
    """A hidden count gets no bar (not a bar of 0)."""
    rows = [
        {"post": "NNK", "reports": 6, "victims": 4},
        {"post": "DUM", "reports": None, "victims": None},
    ]
    svg = charts.bars(rows, "post", MEASURES)
    assert _drawn(svg, 0) == {"NNK": "6"} and _drawn(svg, 1) == {"NNK": "4"}


def test_dashboard_says_hidden_counts_are_not_drawn(world: World) -> None:
    """With min_count the week chart has no 0 for the hidden week and a note says why."""
    device = world.devices["ofc.nnk.1"]
    for day in ("2026-11-02", "2026-11-03", "2026-11-10"):
        device.create(incident(occurred_at=f"{day}T10:00:00+08:00"))
    hq = world.app.test_client()
    sign_in(hq, "hq.1")
    html = hq.get("/dashboard?min_count=2&lang=en").get_data(as_text=True)
    week = html[html.index('id="panel-week"') : html.index('id="panel-post"')]
    svg = week[week.index("<svg") : week.index("</svg>") + len("</svg>")]
    assert _drawn(svg, 0) == {"2026-W45": "2"}  # W46 has one report: hidden, not 0
    assert '<td class="num">·</td>' in week
    note = re.search(r'id="hidden-note-week">([^<]*)<', week)
    assert note and "below 2" in note.group(1) and "not zero" in note.group(1)
    plain = hq.get("/dashboard").get_data(as_text=True)
    assert "hidden-note-" not in plain
    svg = plain[plain.index("<svg") : plain.index("</svg>") + len("</svg>")]
    assert _drawn(svg, 0) == {"2026-W45": "2", "2026-W46": "1"}
