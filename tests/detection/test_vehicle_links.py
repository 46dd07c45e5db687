"""Vehicle links and ``vehicle_seen_before`` alerts through the API, as reports change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from client_sqlite.display import render_alerts
from server.detection.models import VehicleEntry, VehicleLink
from server.infra.db import db
from server.infra.models import Report
from tests.web.pages import sign_in
from tests.world import World, incident

SPEEDBOAT = {"type": "speedboat", "registration": "KM 12-34", "name": "Sinar Laut"}


def _seed(world: World, later: dict[str, Any]) -> tuple[str, str]:
    """A Dumai incident with the speedboat, then a Nunukan incident with ``later``."""
    earlier = incident(occurred_at="2026-09-01T10:00:00+07:00", vehicles={"b1": SPEEDBOAT})
    first, result = world.devices["ofc.dum.1"].create(earlier)
    assert result["status"] == "applied", result
    second, result = world.devices["ofc.nnk.1"].create(incident(vehicles={"v7": later}))
    assert result["status"] == "applied", result
    return first, second


def _counts(world: World, tables: tuple[Any, ...] = (VehicleEntry, VehicleLink)) -> tuple:
    with world.app.app_context():
        return tuple(
            db.session.execute(select(func.count()).select_from(t)).scalar() for t in tables
        )


def _vehicle_alerts(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in view["alerts"] if a["type"] == "vehicle_seen_before"]


def test_same_registration_links_and_alerts_with_scope(world: World) -> None:
    first, second = _seed(world, {"type": "boat", "registration": "km.1234", "name": None})
    hq = world.report(second, "hq.1")
    link = {
        "report_id": first,
        "post": "DUM",
        "kind": "incident",
        "occurred_at": "2026-09-01T03:00:00.000Z",
        "vehicle_id": "b1",
        "basis": "registration",
        "score": 100,
        "explanation": "same registration km.1234",
    }
    assert hq["vehicle_links"] == {"v7": [link]}
    alert = {
        "type": "vehicle_seen_before",
        "vehicle_id": "v7",
        "report_id": first,
        "post": "DUM",
        "occurred_at": "2026-09-01T03:00:00.000Z",
    }
    assert hq["alerts"] == [alert]
    # The commander of Nunukan sees the link and the alert, not Dumai's report.
    mine = world.report(second, "cmd.nnk")
    assert mine["vehicle_links"] == {"v7": [dict(link, report_id=None, vehicle_id=None)]}
    assert mine["alerts"] == [dict(alert, report_id=None)]
    # The earlier report is linked back, but nothing was seen before it.
    back = world.report(first, "hq.1")
    assert [(v, [x["report_id"] for x in ls]) for v, ls in back["vehicle_links"].items()] == [
        ("b1", [second])
    ]
    assert _vehicle_alerts(back) == []
    # Dumai's commander sees that the boat was met at Nunukan, not Nunukan's report.
    theirs = world.report(first, "cmd.dum")["vehicle_links"]["b1"]
    assert [(x["post"], x["report_id"], x["vehicle_id"]) for x in theirs] == [("NNK", None, None)]


def test_boat_name_links_probably_and_the_queue_filters_by_it(world: World) -> None:
    _, second = _seed(world, {"type": "boat", "registration": None, "name": "Sinar Luat"})
    (link,) = world.report(second, "hq.1")["vehicle_links"]["v7"]
    assert (link["basis"], link["explanation"]) == ("name", f"boat name {link['score']}% similar")
    plain, _ = world.devices["ofc.nnk.2"].create(incident())
    resp = world.client.get(
        "/api/v1/reports",
        query_string={"alert": "vehicle_seen_before"},
        headers=world.token("cmd.nnk"),
    )
    assert resp.status_code == 200
    rows = resp.get_json()["reports"]
    assert [(r["id"], r["alerts"]) for r in rows] == [(second, ["vehicle_seen_before"])]
    assert plain not in {r["id"] for r in rows}


def test_a_different_boat_is_not_linked(world: World) -> None:
    _, second = _seed(world, {"type": "boat", "registration": "KM 99-01", "name": "Sinar Laut"})
    view = world.report(second, "hq.1")
    assert view["vehicle_links"] == {} and _vehicle_alerts(view) == []


def test_removing_the_vehicle_clears_the_link_and_the_alert(world: World) -> None:
    first, second = _seed(world, dict(SPEEDBOAT))
    assert _counts(world) == (2, 2)
    device = world.devices["ofc.nnk.1"]
    device.push(device.op(second, {"vehicles.v7": None}, base_rev=device.revs[second]))
    view = world.report(second, "hq.1")
    assert view["vehicle_links"] == {} and view["alerts"] == []
    assert world.report(first, "hq.1")["vehicle_links"] == {}
    assert _counts(world) == (1, 0)


def test_retraction_clears_and_withdrawing_it_raises_again(world: World) -> None:
    _, second = _seed(world, dict(SPEEDBOAT))
    device = world.devices["ofc.nnk.1"]
    retract = {"retracted": True, "retract_reason": "entered twice"}
    device.push(device.op(second, retract, base_rev=device.revs[second]))
    assert _vehicle_alerts(world.report(second, "hq.1")) == []
    device.push(device.op(second, {"retracted": False}, base_rev=device.revs[second]))
    assert len(_vehicle_alerts(world.report(second, "hq.1"))) == 1


def test_a_vehicle_without_registration_or_name_is_refused(world: World) -> None:
    _seed(world, dict(SPEEDBOAT))
    before = _counts(world, (VehicleEntry, VehicleLink, Report))
    device = world.devices["ofc.nnk.1"]
    bad = incident(vehicles={"v1": {"type": "boat", "registration": None, "note": "grey"}})
    (result,) = device.push(device.op("5b0c0000-0000-4000-8000-000000000002", bad))
    assert result["status"] == "rejected"
    assert result["errors"] == {"vehicles.v1": ["needs a registration or a name"]}
    assert _counts(world, (VehicleEntry, VehicleLink, Report)) == before


def test_report_page_shows_the_vehicle_link_in_indonesian_and_english(world: World) -> None:
    first, second = _seed(world, {"type": "boat", "registration": "km 1234", "name": None})
    client = world.app.test_client()
    assert sign_in(client, "cmd.nnk").status_code == 302
    english = client.get(f"/reports/{second}?lang=en").get_data(as_text=True)
    assert "Boats and vehicles" in english
    assert 'data-alert="vehicle_seen_before">Vehicle seen before<' in english
    assert "same registration" in english and 'data-vehicle="v7"' in english
    assert first not in english  # Dumai's report is outside Nunukan's scope
    indonesian = client.get(f"/reports/{second}?lang=id").get_data(as_text=True)
    assert "Perahu dan kendaraan" in indonesian and "nomor registrasi sama" in indonesian
    assert ">Kendaraan pernah terlihat<" in indonesian
    hq = world.app.test_client()
    assert sign_in(hq, "hq.1").status_code == 302
    assert f"/reports/{first}" in hq.get(f"/reports/{second}?lang=en").get_data(as_text=True)


def test_field_cli_lists_person_alerts_beside_a_vehicle_alert(world: World) -> None:
    """A vehicle alert has no ``person_id``: the CLI's alert view must not fail on it."""
    first, second = _seed(world, dict(SPEEDBOAT))
    view = world.report(second, "cmd.nnk")
    assert _vehicle_alerts(view) and "person_id" not in view["alerts"][0]
    doc = view["report"]
    found = {"person_links": {"p1": [dict(view["vehicle_links"]["v7"][0], person_id=None)]}}
    text = render_alerts(doc, dict(found, alerts=view["alerts"]))
    assert text.splitlines()[0] == "victim"
    assert "same registration KM 12-34 (a report of another post)" in text
    assert first not in text
