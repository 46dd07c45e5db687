"""Alerts raised and cleared as reports change, and the queue's alert filter."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from server.detection.models import PersonAlert, PersonEntry, PersonLink
from server.infra.db import db
from tests.detection.scenario import VICTIM, seed
from tests.world import World, incident


def _alerts(world: World, report_id: str) -> set[tuple[str, str]]:
    return {(a["type"], a["post"]) for a in world.report(report_id, "hq.1")["alerts"]}


def _queue(world: World, username: str, **query: Any) -> Any:
    return world.client.get("/api/v1/reports", query_string=query, headers=world.token(username))


def _counts(world: World) -> tuple[int, int, int]:
    with world.app.app_context():
        return tuple(
            db.session.execute(select(func.count()).select_from(t)).scalar()
            for t in (PersonEntry, PersonLink, PersonAlert)
        )


def test_removing_the_person_clears_links_and_alerts(world: World) -> None:
    ids = seed(world)
    assert _alerts(world, ids.incident) == {("deferred_applicant", "DUM"), ("seen_before", "DUM")}
    device = world.devices["ofc.nnk.1"]
    device.push(device.op(ids.incident, {"persons.v1": None}, base_rev=device.revs[ids.incident]))
    assert _alerts(world, ids.incident) == set()
    assert world.report(ids.incident, "hq.1")["person_links"] == {}
    assert world.report(ids.deferral, "hq.1")["person_links"] == {}


def test_retraction_clears_and_withdrawing_it_raises_again(world: World) -> None:
    ids = seed(world)
    device = world.devices["ofc.nnk.1"]
    retract = {"retracted": True, "retract_reason": "entered twice"}
    device.push(device.op(ids.incident, retract, base_rev=device.revs[ids.incident]))
    assert _alerts(world, ids.incident) == set()
    assert world.report(ids.deferral, "hq.1")["person_links"] == {}
    device.push(device.op(ids.incident, {"retracted": False}, base_rev=device.revs[ids.incident]))
    assert _alerts(world, ids.incident) == {("deferred_applicant", "DUM"), ("seen_before", "DUM")}


def test_an_edit_of_the_earlier_report_updates_the_later_ones_alerts(world: World) -> None:
    ids = seed(world)
    dum = world.devices["ofc.dum.1"]
    other = {"role": "applicant", "sex": "F", "age": 40, "name": "Another Woman"}
    dum.push(dum.op(ids.deferral, {"persons.a1": other}, base_rev=dum.revs[ids.deferral]))
    assert _alerts(world, ids.incident) == set()


def test_a_resolved_conflict_raises_the_alert(world: World) -> None:
    ids = seed(world, victim={"role": "victim", "sex": "F", "age": 30, "name": "Rina Wati"})
    assert _alerts(world, ids.incident) == set()
    one, two = world.devices["ofc.nnk.1"], world.devices["ofc.nnk.2"]
    # Concurrent edits of the victim: the matching one has the lower clock and loses.
    one.push(one.op(ids.incident, {"persons.v1": VICTIM}, base_rev=1, hlc=one.hlc(1_000)))
    unrelated = {"role": "victim", "sex": "F", "age": 31, "name": "Rina Wati"}
    (result,) = two.push(two.op(ids.incident, {"persons.v1": unrelated}, base_rev=1))
    assert result["status"] == "conflict", result
    (conflict,) = result["conflicts"]
    assert conflict["lost"] == VICTIM
    assert _alerts(world, ids.incident) == set()
    resp = world.client.post(
        f"/api/v1/conflicts/{conflict['id']}/resolve",
        json={"choose": "lost"},
        headers=world.token("cmd.nnk"),
    )
    assert resp.status_code == 200, resp.get_json()
    assert _alerts(world, ids.incident) == {("deferred_applicant", "DUM"), ("seen_before", "DUM")}


def test_repeat_suspect_across_posts(world: World) -> None:
    calo = {"role": "suspect", "sex": "M", "age": 45, "name": "Haji Darman bin Usman"}
    nnk, dum = world.devices["ofc.nnk.1"], world.devices["ofc.dum.1"]
    first, _ = dum.create(incident(occurred_at="2026-09-01T10:00:00+07:00", persons={"s": calo}))
    again = dict(calo, name="Darman Usman")  # no title, father's name without "bin"
    second, _ = nnk.create(incident(persons={"s9": again}))
    assert _alerts(world, second) == {("repeat_suspect", "DUM"), ("seen_before", "DUM")}
    # The earlier report gets the repeat alert too, but nothing was seen before it.
    assert _alerts(world, first) == {("repeat_suspect", "NNK")}


def test_queue_filters_and_badges_by_alert(world: World) -> None:
    ids = seed(world)
    plain, _ = world.devices["ofc.nnk.2"].create(incident())
    resp = _queue(world, "cmd.nnk", alert="deferred_applicant")
    assert resp.status_code == 200
    rows = resp.get_json()["reports"]
    assert [r["id"] for r in rows] == [ids.incident]
    assert rows[0]["alerts"] == ["deferred_applicant", "seen_before"]
    every = {r["id"]: r["alerts"] for r in _queue(world, "cmd.nnk").get_json()["reports"]}
    assert every[plain] == []
    # Another post's commander: the alerted NNK report is not theirs to see.
    assert _queue(world, "cmd.dum", alert="deferred_applicant").get_json()["reports"] == []


def test_unknown_alert_filter_is_refused(world: World) -> None:
    seed(world)
    before = _counts(world)
    resp = _queue(world, "cmd.nnk", alert="bogus")
    assert resp.status_code == 400
    body = resp.get_json()
    assert body["type"] == "urn:patroli:problem:validation-failed"
    assert "alert" in body["errors"]
    assert _counts(world) == before


def test_a_rejected_op_stores_no_person(world: World) -> None:
    seed(world)
    before = _counts(world)
    device = world.devices["ofc.nnk.1"]
    bad = incident(persons={"v2": dict(VICTIM, age=500)})
    (result,) = device.push(device.op("5b0c0000-0000-4000-8000-000000000001", bad))
    assert result["status"] == "rejected"
    assert _counts(world) == before
