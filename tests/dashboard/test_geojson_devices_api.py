"""GeoJSON export, enrollment codes through the API and the devices list."""

from __future__ import annotations

from datetime import timedelta

import geojson
from sqlalchemy import update

from server.infra.clock import utcnow
from server.infra.models import Device
from server.infra.transactions import write_connection
from tests.world import World, incident


def test_geojson_is_valid_scoped_and_has_no_names(world: World) -> None:
    """A valid FeatureCollection of the caller's reports with a location, without names."""
    dev = world.devices["ofc.nnk.1"]
    persons = {
        "p1": {
            "role": "victim",
            "name": "Siti Aminah",
            "age": 15,
            "sex": "F",
            "document": {"type": "passport", "number": "X1234567"},
        }
    }
    report_id, _ = dev.create(incident(persons=persons))
    dev.create(incident(kind="patrol", location=None, title="Patrol without a point"))
    world.devices["ofc.dum.1"].create(incident(location={"lat": 1.67, "lon": 101.45}))
    resp = world.client.get("/api/v1/reports.geojson", headers=world.token("cmd.nnk"))
    assert resp.status_code == 200 and resp.mimetype == "application/geo+json"
    text = resp.get_data(as_text=True)
    collection = geojson.loads(text)
    assert collection.is_valid, collection.errors()
    (feature,) = collection["features"]
    assert feature["id"] == report_id
    assert feature["geometry"]["coordinates"] == [117.82, 4.17]
    assert feature["properties"]["victims_minor"] == 1
    assert "Siti" not in text and "X1234567" not in text and "narrative" not in text
    every = world.client.get("/api/v1/reports.geojson", headers=world.token("hq.1")).get_json()
    assert len(every["features"]) == 2
    only_dum = world.client.get(
        "/api/v1/reports.geojson?post=DUM", headers=world.token("hq.1")
    ).get_json()
    assert [f["properties"]["post"] for f in only_dum["features"]] == ["DUM"]


def test_enrollment_code_via_api_enrolls_once(world: World) -> None:
    """A commander issues a code for an officer of the post; it enrolls one device."""
    resp = world.client.post(
        "/api/v1/devices/enrollment-codes",
        json={"username": "ofc.nnk.2"},
        headers=world.token("cmd.nnk"),
    )
    assert resp.status_code == 201 and resp.headers["Cache-Control"] == "no-store"
    body = resp.get_json()
    assert body["username"] == "ofc.nnk.2" and body["post"] == "NNK" and body["expires_at"]
    device = world.enroll(body["code"], "ofc.nnk.2")
    assert device.post == "NNK"
    again = world.client.post(
        "/api/v1/devices/enroll", json={"enrollment_code": body["code"], "device_name": "x"}
    )
    assert again.status_code == 401


def test_enrollment_code_scope(world: World) -> None:
    """Other posts' officers and non-officers are 404; HQ may not issue codes."""
    url = "/api/v1/devices/enrollment-codes"
    for who, username, status in [
        ("cmd.dum", "ofc.nnk.1", 404),
        ("cmd.nnk", "cmd.nnk", 404),
        ("cmd.nnk", "nobody", 404),
        ("hq.1", "ofc.nnk.1", 403),
        ("admin", "ofc.dum.1", 201),
    ]:
        resp = world.client.post(url, json={"username": username}, headers=world.token(who))
        assert resp.status_code == status, (who, username, resp.get_json())
    bad = world.client.post(
        url, json={"username": "ofc.nnk.1", "ttl_hours": 0}, headers=world.token("cmd.nnk")
    )
    assert bad.status_code == 400 and "ttl_hours" in bad.get_json()["errors"]


def test_device_list_has_pending_and_silent(world: World) -> None:
    """The list shows pending reviews per device and flags long-silent devices."""
    dev = world.devices["ofc.nnk.1"]
    dev.create()
    dev.create()
    quiet = world.devices["ofc.nnk.2"]
    with world.app.app_context(), write_connection() as conn:
        conn.execute(
            update(Device.__table__)
            .where(Device.__table__.c.id == quiet.device_id)
            .values(created_at=utcnow() - timedelta(days=10))
        )
    listed = world.client.get("/api/v1/devices", headers=world.token("cmd.nnk")).get_json()
    by_id = {d["id"]: d for d in listed["devices"]}
    assert set(by_id) == {d.device_id for n, d in world.devices.items() if "nnk" in n}
    assert by_id[dev.device_id]["pending_review"] == 2 and not by_id[dev.device_id]["silent"]
    assert by_id[dev.device_id]["last_push_at"] is not None
    assert by_id[quiet.device_id]["silent"] is True
    revoke = world.client.post(
        f"/api/v1/devices/{quiet.device_id}/revoke",
        json={"reason": "phone lost"},
        headers=world.token("cmd.nnk"),
    )
    assert revoke.status_code == 200
    gone = revoke.get_json()["device"]
    assert gone["revoked"] and gone["revoke_reason"] == "phone lost" and not gone["silent"]
