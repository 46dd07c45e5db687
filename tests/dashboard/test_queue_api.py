"""The review queue API: filters, counts per status, order, pages, scope; review round trip."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from server.infra.clock import utcnow
from server.infra.models import Report
from server.infra.transactions import write_connection
from tests.dashboard.scenarios import create_many
from tests.world import World


def _queue(world: World, who: str = "cmd.nnk", **params: Any) -> Any:
    """GET the queue as ``who``; expect 200."""
    resp = world.client.get("/api/v1/reports", query_string=params, headers=world.token(who))
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def _age(world: World, report_id: str, hours: float) -> None:
    """Make a report wait ``hours`` already."""
    with world.app.app_context(), write_connection() as conn:
        conn.execute(
            update(Report.__table__)
            .where(Report.__table__.c.id == report_id)
            .values(status_since=utcnow() - timedelta(hours=hours))
        )


SPECS = [
    {
        "title": "Boat at Sebatik",
        "route": "Sebatik jetty",
        "occurred_at": "2026-11-02T08:00:00+08:00",
    },
    {
        "title": "Night crossing",
        "route": "Aji Kuning footpath",
        "kind": "incident",
        "occurred_at": "2026-11-10T23:30:00+08:00",
        "narrative": "Agent named Rudi",
    },
    {
        "title": "Patrol east",
        "route": "Aji Kuning footpath",
        "kind": "patrol",
        "occurred_at": "2026-11-20T06:00:00+08:00",
    },
]


@pytest.fixture
def seeded(world: World) -> list[str]:
    """Three NNK reports (ages 30 h, 50 h, 10 h) and one DUM report."""
    ids = create_many(world.devices["ofc.nnk.1"], SPECS)
    for report_id, hours in zip(ids, (30, 50, 10), strict=True):
        _age(world, report_id, hours)
    world.devices["ofc.dum.1"].create()
    return ids


def test_oldest_waiting_first_with_counts_and_overdue(world: World, seeded: list[str]) -> None:
    """The queue lists the longest waiting first and flags those past the SLA (48 h)."""
    body = _queue(world)
    assert [r["id"] for r in body["reports"]] == [seeded[1], seeded[0], seeded[2]]
    assert [r["overdue"] for r in body["reports"]] == [True, False, False]
    assert body["counts"]["submitted"] == 3 and body["counts"]["approved"] == 0
    assert body["total"] == 3 and body["has_more"] is False


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "patrol"}, [2]),
        ({"route": "aji kuning"}, [1, 2]),
        ({"q": "sebatik"}, [0]),
        ({"q": "RUDI"}, [1]),
        ({"from": "2026-11-05"}, [1, 2]),
        ({"to": "2026-11-10"}, [1, 0]),
        ({"from": "2026-11-03", "to": "2026-11-19"}, [1]),
        ({"status": "approved"}, []),
        ({"post": "DUM"}, []),
        ({"q": "100%"}, []),
    ],
)
def test_filters(world: World, seeded: list[str], params: dict, expected: list[int]) -> None:
    """Each filter narrows the queue; a post outside scope yields nothing."""
    body = _queue(world, **params)
    assert [r["id"] for r in body["reports"]] == [seeded[i] for i in expected]


def test_counts_follow_other_filters_not_status(world: World, seeded: list[str]) -> None:
    """Counts per status ignore the status filter so that tabs show every status."""
    world.client.post(
        f"/api/v1/reports/{seeded[0]}/review",
        headers=world.token("cmd.nnk"),
        json={"status": "approved", "rev": 1},
    )
    body = _queue(world, status="approved")
    assert [r["id"] for r in body["reports"]] == [seeded[0]]
    assert body["counts"]["approved"] == 1 and body["counts"]["submitted"] == 2


def test_pagination_is_stable(world: World, seeded: list[str]) -> None:
    """Pages split the same order without overlap."""
    first = _queue(world, per_page=2, page=1)
    second = _queue(world, per_page=2, page=2)
    assert first["has_more"] is True and second["has_more"] is False
    assert [r["id"] for r in first["reports"] + second["reports"]] == [
        seeded[1],
        seeded[0],
        seeded[2],
    ]


def test_hq_sees_all_posts_and_can_filter(world: World, seeded: list[str]) -> None:
    """HQ sees every post; the post filter narrows it."""
    assert _queue(world, "hq.1")["total"] == 4
    assert _queue(world, "hq.1", post="DUM")["total"] == 1


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "done"}, "status"),
        ({"kind": "x"}, "kind"),
        ({"from": "20-11-2026"}, "from"),
        ({"page": "0"}, "page"),
        ({"per_page": "1000"}, "per_page"),
        ({"from": "2026-12-01", "to": "2026-11-01"}, "to"),
    ],
)
def test_bad_filters_are_400_with_field(world: World, params: dict, field: str) -> None:
    """A wrong filter names itself in the problem."""
    resp = world.client.get("/api/v1/reports", query_string=params, headers=world.token("cmd.nnk"))
    assert resp.status_code == 400 and field in resp.get_json()["errors"]


def test_review_round_trip_through_device_pull(world: World) -> None:
    """The officer's device sees the decision and the note on its next pull."""
    dev = world.devices["ofc.nnk.1"]
    report_id, _ = dev.create()
    _, cursor = dev.pull_all()
    headers = world.token("cmd.nnk")
    url = f"/api/v1/reports/{report_id}/review"
    assert (
        world.client.post(url, headers=headers, json={"status": "in_review", "rev": 1}).status_code
        == 200
    )
    resp = world.client.post(
        url, headers=headers, json={"status": "needs_info", "note": "Add the boat's name", "rev": 2}
    )
    assert resp.status_code == 200
    changes, _ = dev.pull_all(cursor)
    (entry,) = changes
    review = entry["report"]["review"]
    assert review["status"] == "needs_info" and review["note"] == "Add the boat's name"
    assert review["by"] == "cmd.nnk" and entry["report"]["rev"] == 3
    body = _queue(world, status="needs_info")
    assert [r["id"] for r in body["reports"]] == [report_id]
