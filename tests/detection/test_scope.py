"""Every field of ``person_links`` and ``alerts`` as each role sees it."""

from __future__ import annotations

from typing import Any

from tests.detection.scenario import seed
from tests.world import World


def _get(world: World, report_id: str, headers: dict[str, str]) -> Any:
    return world.client.get(f"/api/v1/reports/{report_id}", headers=headers)


def test_commander_of_the_post_sees_the_link_but_not_the_other_posts_report(world: World) -> None:
    ids = seed(world)
    view = world.report(ids.incident, "cmd.nnk")
    assert view["person_links"] == {
        "v1": [
            {
                "report_id": None,
                "post": "DUM",
                "kind": "passport_deferral",
                "occurred_at": "2026-08-01T03:00:00.000Z",
                "person_id": None,
                "basis": "document",
                "score": 100,
                "explanation": "same passport number",
            }
        ]
    }
    assert view["alerts"] == [
        {
            "type": "deferred_applicant",
            "person_id": "v1",
            "report_id": None,
            "post": "DUM",
            "occurred_at": "2026-08-01T03:00:00.000Z",
        },
        {
            "type": "seen_before",
            "person_id": "v1",
            "report_id": None,
            "post": "DUM",
            "occurred_at": "2026-08-01T03:00:00.000Z",
        },
    ]


def test_officer_sees_what_the_commander_of_the_post_sees(world: World) -> None:
    ids = seed(world)
    officer = world.devices["ofc.nnk.2"]
    resp = _get(world, ids.incident, officer.headers)
    assert resp.status_code == 200
    commander = world.report(ids.incident, "cmd.nnk")
    body = resp.get_json()
    assert body["person_links"] == commander["person_links"]
    assert body["alerts"] == commander["alerts"]
    assert body["person_links"]["v1"][0]["report_id"] is None


def test_commander_of_another_post_sees_neither_the_report_nor_its_links(world: World) -> None:
    ids = seed(world)
    resp = _get(world, ids.incident, world.token("cmd.dum"))
    assert resp.status_code == 404
    assert resp.get_json()["type"] == "urn:patroli:problem:not-found"
    assert "person_links" not in resp.get_json()
    # Their own deferral shows the link the other way, without the NNK report's ids.
    own = world.report(ids.deferral, "cmd.dum")
    (link,) = own["person_links"]["a1"]
    assert (link["report_id"], link["person_id"], link["post"]) == (None, None, "NNK")
    assert (link["kind"], link["basis"], link["score"]) == ("incident", "document", 100)
    # An applicant met later raises nothing on the deferral itself.
    assert own["alerts"] == []


def test_hq_sees_every_linked_report(world: World) -> None:
    ids = seed(world)
    view = world.report(ids.incident, "hq.1")
    (link,) = view["person_links"]["v1"]
    assert (link["report_id"], link["person_id"]) == (ids.deferral, "a1")
    assert {(a["type"], a["report_id"]) for a in view["alerts"]} == {
        ("deferred_applicant", ids.deferral),
        ("seen_before", ids.deferral),
    }
    back = world.report(ids.deferral, "hq.1")
    assert back["person_links"]["a1"][0]["report_id"] == ids.incident


def test_links_never_travel_in_pulls(world: World) -> None:
    seed(world)
    for name in ("ofc.nnk.1", "ofc.dum.1"):
        changes, _ = world.devices[name].pull_all()
        assert changes
        for change in changes:
            assert "person_links" not in change["report"]
            assert "alerts" not in change["report"]
            assert "person_links" not in change
