"""HQ's page of one person: every appearance across posts, and a suspect's network.

The appearances are the person and everyone linked to them, followed
link by link (a bounded walk: a name link can chain to another person, so
the page stops at ``MAX_APPEARANCES``).  For a suspect, the network joins
the reports they appear in to the victims of those reports; its layout is
computed here and drawn as SVG by the template.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import and_, or_, select

from server.detection.models import PersonEntry, PersonLink
from server.infra.db import db
from server.infra.models import Report

entries_t = PersonEntry.__table__
links_t = PersonLink.__table__

MAX_APPEARANCES = 60
WIDTH, HEIGHT = 640, 420


@dataclass(kw_only=True)
class Appearance:
    """One person of one report, as the page shows it."""

    report_id: str
    person_id: str
    post: str
    kind: str
    role: str
    occurred_at: Any
    person: dict[str, Any]
    title: str | None
    basis: str | None = None
    score: int | None = None


@dataclass(kw_only=True)
class Network:
    """Nodes and edges of a suspect's network, with SVG coordinates."""

    nodes: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT


def _walk(report_id: str, person_id: str) -> dict[tuple[str, str], PersonLink | None]:
    """The person and everyone reachable over links, with the link that reached each."""
    seen: dict[tuple[str, str], Any] = {(report_id, person_id): None}
    frontier = [(report_id, person_id)]
    while frontier and len(seen) < MAX_APPEARANCES:
        conds = [and_(links_t.c.report_id == r, links_t.c.person_id == p) for r, p in frontier]
        frontier = []
        for link in db.session.execute(select(links_t).where(or_(*conds))):
            key = (link.other_report_id, link.other_person_id)
            if key not in seen and len(seen) < MAX_APPEARANCES:
                seen[key] = link
                frontier.append(key)
    return seen


def appearances(report_id: str, person_id: str) -> list[Appearance]:
    """Every appearance of the person, oldest first ([] when the person is not indexed)."""
    found = _walk(report_id, person_id)
    docs = _documents({r for r, _ in found})
    rows = []
    for (rid, pid), link in found.items():
        doc = docs.get(rid)
        person = (doc or {}).get("persons", {}).get(pid)
        if doc is None or person is None:
            continue
        rows.append(
            Appearance(
                report_id=rid,
                person_id=pid,
                post=doc["post"],
                kind=doc["kind"],
                role=person.get("role") or "",
                occurred_at=doc.get("occurred_at"),
                person=person,
                title=doc.get("title"),
                basis=link.basis if link is not None else None,
                score=link.score if link is not None else None,
            )
        )
    return sorted(rows, key=lambda a: (a.occurred_at or "", a.report_id))


def _documents(report_ids: set[str]) -> dict[str, dict[str, Any]]:
    query = select(Report.id, Report.doc, Report.occurred_at).where(Report.id.in_(report_ids))
    out = {}
    for rid, doc, occurred in db.session.execute(query):
        loaded = orjson.loads(doc)
        when = occurred
        loaded["occurred_at"] = when.isoformat() if when else None
        out[rid] = loaded
    return out


def network(person: list[Appearance]) -> Network:
    """The suspect's reports around them, and each report's victims around it."""
    reports = [a for a in person if a.role == "suspect"]
    net = Network()
    if not reports:
        return net
    cx, cy = WIDTH / 2, HEIGHT / 2
    net.nodes.append({"id": "suspect", "x": cx, "y": cy, "type": "suspect", "label": ""})
    victims = _victims([a.report_id for a in reports])
    for i, app in enumerate(reports):
        angle = 2 * math.pi * i / len(reports) - math.pi / 2
        rx, ry = cx + 110 * math.cos(angle), cy + 110 * math.sin(angle)
        node_id = f"r{i}"
        net.nodes.append(
            {"id": node_id, "x": rx, "y": ry, "type": "report", "label": app.post,
             "report_id": app.report_id}
        )  # fmt: skip
        net.edges.append({"x1": cx, "y1": cy, "x2": rx, "y2": ry})
        mine = victims.get(app.report_id, [])
        for j, victim in enumerate(mine):
            spread = (j - (len(mine) - 1) / 2) * 0.35
            vx = rx + 70 * math.cos(angle + spread)
            vy = ry + 70 * math.sin(angle + spread)
            net.nodes.append(
                {"id": f"{node_id}v{j}", "x": vx, "y": vy, "type": "victim",
                 "label": str(victim["age"]) if victim["age"] is not None else "",
                 "minor": victim["age"] is not None and victim["age"] < 18}
            )  # fmt: skip
            net.edges.append({"x1": rx, "y1": ry, "x2": vx, "y2": vy})
    return net


def _victims(report_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    query = (
        select(entries_t.c.report_id, entries_t.c.age)
        .where(entries_t.c.report_id.in_(report_ids), entries_t.c.role == "victim")
        .order_by(entries_t.c.report_id, entries_t.c.person_id)
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for rid, age in db.session.execute(query):
        out.setdefault(rid, []).append({"age": age})
    return out
