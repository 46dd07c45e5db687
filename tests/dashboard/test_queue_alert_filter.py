"""The queue's alert filter answers exactly what reading every alert would.

A commander's filter probes the post's reports one by one, HQ's reads the
alerts (``server.reports.filters``): whichever way a query runs, a report
is listed when, and only when, it holds an alert of a type asked for.  The
alerts are written straight into their tables, in any mix hypothesis
draws, and the API's answer is compared with a scan of those tables.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update

from server.detection.alerts import ALERT_TYPES, VEHICLE_SEEN_BEFORE
from server.detection.models import PersonAlert, VehicleLink
from server.infra.bulk import bulk_write
from server.infra.db import db
from server.infra.models import Report
from server.infra.transactions import write_connection
from sync import vocab
from tests.world import World, incident

reports = Report.__table__
alerts_t = PersonAlert.__table__
vlinks_t = VehicleLink.__table__

PERSON_TYPES = [t for t in ALERT_TYPES if t != VEHICLE_SEEN_BEFORE]
#: Where a report's vehicle link points: only a link to an earlier report is an alert.
VEHICLE = ["none", "earlier", "later", "same time"]
OFFICERS = ["ofc.nnk.1", "ofc.nnk.2", "ofc.dum.1"]
#: Who asks, and with which extra query: a commander, HQ, HQ narrowed to a post.
ASKERS = [("cmd.nnk", {}), ("cmd.dum", {}), ("hq.1", {}), ("hq.1", {"post": "NNK"})]
WHEN = datetime(2026, 11, 20, 3, 15, tzinfo=UTC)

ONE_REPORT = st.tuples(
    st.lists(st.sampled_from(PERSON_TYPES), max_size=3),  # repeats: two persons, one type
    st.sampled_from(VEHICLE),
)


def _setup(world: World) -> list[dict[str, Any]]:
    """Two reports of each officer, in every review status; their id, post and status."""
    for officer in OFFICERS:
        for _ in range(2):
            world.devices[officer].create(incident(persons={}))
    with world.app.app_context(), write_connection() as conn:
        ids = conn.execute(select(reports.c.id).order_by(reports.c.seq)).scalars().all()
        for n, report_id in enumerate(ids):
            status = vocab.REVIEW_STATUSES[n % len(vocab.REVIEW_STATUSES)]
            conn.execute(
                update(reports).where(reports.c.id == report_id).values(review_status=status)
            )
        rows = conn.execute(select(reports.c.id, reports.c.post_code, reports.c.review_status))
        return [dict(row._mapping) for row in rows]


def _write(world: World, rows: list[dict[str, Any]], drawn: list[tuple[list[str], str]]) -> None:
    """Replace every alert and vehicle link with the drawn ones."""
    alerts, links = [], []
    for row, (types, vehicle) in zip(rows, drawn, strict=True):
        other = rows[-1]["id"] if row is not rows[-1] else rows[0]["id"]
        for n, kind in enumerate(types):
            alerts.append(
                {
                    "report_id": row["id"],
                    "person_id": f"p{n}",
                    "type": kind,
                    "other_report_id": other,
                    "other_post": "DUM",
                    "other_occurred_at": WHEN - timedelta(days=1),
                }
            )
        if vehicle != "none":
            shift = {"earlier": -1, "later": 1, "same time": 0}[vehicle]
            links.append(_link(row["id"], other, WHEN + timedelta(days=shift)))
    with world.app.app_context(), write_connection() as conn:
        conn.execute(delete(alerts_t))
        conn.execute(delete(vlinks_t))
        bulk_write(conn, alerts_t, alerts)
        bulk_write(conn, vlinks_t, links)


def _link(report_id: str, other: str, other_when: datetime) -> dict[str, Any]:
    """A vehicle link from ``report_id`` to a vehicle of ``other`` seen at ``other_when``."""
    return {
        "report_id": report_id,
        "vehicle_id": "v1",
        "occurred_at": WHEN,
        "other_report_id": other,
        "other_vehicle_id": "v1",
        "other_post": "DUM",
        "other_kind": "incident",
        "other_occurred_at": other_when,
        "basis": "registration",
        "score": 100,
        "explanation": "same registration",
    }


def _scanned(world: World, wanted: list[str]) -> set[str]:
    """Reports with an alert of a wanted type, read from every row of both tables in Python."""
    with world.app.app_context():
        alerts = db.session.execute(select(alerts_t.c.report_id, alerts_t.c.type)).all()
        links = db.session.execute(
            select(vlinks_t.c.report_id, vlinks_t.c.occurred_at, vlinks_t.c.other_occurred_at)
        ).all()
        db.session.remove()
    found = {report_id for report_id, kind in alerts if kind in wanted}
    if VEHICLE_SEEN_BEFORE in wanted:
        found |= {report_id for report_id, when, other in links if other < when}
    return found


def test_the_alert_filter_lists_exactly_the_alerted_reports(world: World) -> None:
    """For a commander, HQ and HQ within one post: the listed reports, their total and
    counts per status are those of a scan of every alert, for any alerts and filter."""
    rows = _setup(world)

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        drawn=st.lists(ONE_REPORT, min_size=len(rows), max_size=len(rows)),
        wanted=st.lists(st.sampled_from(ALERT_TYPES), min_size=1, max_size=4, unique=True),
    )
    def check(drawn: list[tuple[list[str], str]], wanted: list[str]) -> None:
        _write(world, rows, drawn)
        alerted = _scanned(world, wanted)
        for who, extra in ASKERS:
            query = {"alert": wanted, "per_page": 200, **extra}
            headers = world.token(who)
            body = world.client.get("/api/v1/reports", query_string=query, headers=headers)
            assert body.status_code == 200, body.get_json()
            answer = body.get_json()
            post = extra.get("post") or {"cmd.nnk": "NNK", "cmd.dum": "DUM"}.get(who)
            expected = [r for r in rows if r["id"] in alerted and post in (None, r["post_code"])]
            listed = {r["id"] for r in answer["reports"]}
            assert listed == {r["id"] for r in expected}, (who, extra, wanted)
            assert answer["total"] == len(expected)
            counts = Counter(r["review_status"] for r in expected)
            assert answer["counts"] == {s: counts.get(s, 0) for s in vocab.REVIEW_STATUSES}

    check()
