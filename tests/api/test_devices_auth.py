"""Enrollment codes, device tokens, revocation, people's tokens and roles."""

from __future__ import annotations

import pytest

from tests.hostile.counts import assert_problem, database_state
from tests.world import PASSWORD, World, incident, new_id


def test_enrollment_code_is_one_time(world: World) -> None:
    """A code enrolls one device; the second use is refused with a clear problem."""
    code = world.issue_code("ofc.nnk.1")
    device = world.enroll(code, "ofc.nnk.1")
    assert device.post == "NNK" and device.officer == "ofc.nnk.1"
    again = world.client.post(
        "/api/v1/devices/enroll", json={"enrollment_code": code, "device_name": "tablet"}
    )
    assert again.status_code == 401
    assert again.get_json()["type"] == "urn:patroli:problem:unauthorized"


def test_enrollment_code_is_case_and_dash_insensitive(world: World) -> None:
    """Officers may type the code in lower case without dashes."""
    code = world.issue_code("ofc.nnk.2").replace("-", "").lower()
    resp = world.client.post(
        "/api/v1/devices/enroll", json={"enrollment_code": code, "device_name": "tablet"}
    )
    assert resp.status_code == 201
    assert set(resp.get_json()) == {"device_id", "token", "officer", "post", "server_time"}


def test_expired_enrollment_code_refused(world: World) -> None:
    """An expired code does not enroll."""
    code = world.issue_code("ofc.nnk.1", ttl_s=-1)
    before = database_state(world.app)
    resp = world.client.post(
        "/api/v1/devices/enroll", json={"enrollment_code": code, "device_name": "x"}
    )
    assert_problem(resp, 401, "unauthorized")
    assert database_state(world.app) == before


def test_officer_may_have_two_devices(world: World) -> None:
    """A second device of the same officer syncs the same post."""
    tablet = world.enroll(world.issue_code("ofc.nnk.1"), "ofc.nnk.1")
    rid, _ = world.devices["ofc.nnk.1"].create()
    changes, _ = tablet.pull_all()
    assert [c["report"]["id"] for c in changes] == [rid]


def test_revoked_device_gets_device_revoked(world: World) -> None:
    """After a commander revokes a device, its token gets 401 device-revoked."""
    dev = world.devices["ofc.nnk.1"]
    resp = world.client.post(
        f"/api/v1/devices/{dev.device_id}/revoke",
        headers=world.token("cmd.nnk"),
        json={"reason": "phone lost"},
    )
    assert resp.status_code == 200 and resp.get_json()["device"]["revoked"] is True
    push = dev.push_raw([dev.op(new_id(), incident())])
    assert push.status_code == 401
    assert push.get_json()["type"] == "urn:patroli:problem:device-revoked"
    pull = world.client.get("/api/v1/sync/pull", headers=dev.headers)
    assert pull.get_json()["type"] == "urn:patroli:problem:device-revoked"


def test_commander_of_other_post_cannot_revoke(world: World) -> None:
    """Revocation is limited to the commander of the device's post."""
    dev = world.devices["ofc.nnk.1"]
    headers = world.token("cmd.dum")
    before = database_state(world.app)
    resp = world.client.post(f"/api/v1/devices/{dev.device_id}/revoke", headers=headers, json={})
    assert_problem(resp, 404, "not-found")
    assert database_state(world.app) == before
    assert dev.push_raw([dev.op(new_id(), incident())]).status_code == 200


def test_device_list_scoped(world: World) -> None:
    """A commander lists the devices of their post only."""
    resp = world.client.get("/api/v1/devices", headers=world.token("cmd.dum"))
    assert [d["officer"] for d in resp.get_json()["devices"]] == ["ofc.dum.1"]


@pytest.mark.parametrize(
    "header", ["", "Bearer", "Bearer nonsense", "Basic abc", "Bearer pd_forged", "Bearer pu_forged"]
)
def test_bad_tokens_unauthorized(world: World, header: str) -> None:
    """Missing, malformed or unknown tokens get 401 problem+json."""
    headers = {"Authorization": header} if header else {}
    resp = world.client.post(
        "/api/v1/sync/push", headers=headers, json={"batch_id": new_id(), "changes": []}
    )
    assert resp.status_code == 401 and resp.mimetype == "application/problem+json"
    assert resp.get_json()["type"] == "urn:patroli:problem:unauthorized"


def test_officer_cannot_get_a_person_token(world: World) -> None:
    """An officer's password does not make a commander's token."""
    before = database_state(world.app)
    resp = world.client.post(
        "/api/v1/auth/token", json={"username": "ofc.nnk.1", "password": PASSWORD}
    )
    assert_problem(resp, 403, "forbidden")
    assert database_state(world.app) == before


def test_wrong_password(world: World) -> None:
    """A wrong password is 401 without saying which part was wrong."""
    resp = world.client.post("/api/v1/auth/token", json={"username": "cmd.nnk", "password": "x"})
    assert resp.status_code == 401 and "Wrong username or password" in resp.get_json()["detail"]


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("cmd.nnk", 200),
        ("cmd.dum", 404),
        ("hq.1", 200),
        ("admin", 200),
        ("device", 200),
        ("device.dum", 404),
        ("nobody", 401),
    ],
)
def test_get_report_scope(world: World, who: str, status: int) -> None:
    """Reports are visible to their post, HQ and admins; hidden (404) from other posts."""
    rid, _ = world.devices["ofc.nnk.1"].create()
    if who == "device":
        headers = world.devices["ofc.nnk.2"].headers
    elif who == "device.dum":
        headers = world.devices["ofc.dum.1"].headers
    elif who == "nobody":
        headers = {}
    else:
        headers = world.token(who)
    assert world.client.get(f"/api/v1/reports/{rid}", headers=headers).status_code == status


SLUGS = {403: "forbidden", 404: "not-found"}


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("cmd.nnk", 200),
        ("cmd.dum", 404),
        ("hq.1", 403),
        ("admin", 403),
        ("device", 403),
    ],
)
def test_review_roles(world: World, who: str, status: int) -> None:
    """Only the commander of the report's post reviews it; a refusal changes nothing."""
    rid, _ = world.devices["ofc.nnk.1"].create()
    headers = world.devices["ofc.nnk.2"].headers if who == "device" else world.token(who)
    before = database_state(world.app)
    resp = world.client.post(
        f"/api/v1/reports/{rid}/review", headers=headers, json={"status": "in_review", "rev": 1}
    )
    if status == 200:
        assert resp.status_code == 200
        assert world.report(rid)["report"]["review"]["status"] == "in_review"
        return
    assert_problem(resp, status, SLUGS[status])
    assert database_state(world.app) == before


def test_review_on_stale_revision_is_409(world: World) -> None:
    """A decision on revision 1 after the report moved to 2 is refused; nothing changes."""
    dev = world.devices["ofc.nnk.1"]
    rid, _ = dev.create()
    dev.push(dev.op(rid, {"narrative": "late detail"}, base_rev=1))
    headers = world.token("cmd.nnk")
    before = database_state(world.app)
    resp = world.client.post(
        f"/api/v1/reports/{rid}/review", headers=headers, json={"status": "approved", "rev": 1}
    )
    assert_problem(resp, 409, "stale-revision")
    assert database_state(world.app) == before
    assert world.report(rid)["report"]["review"]["status"] == "submitted"


@pytest.mark.parametrize("status", ["needs_info", "rejected"])
def test_review_note_required(world: World, status: str) -> None:
    """Asking for information or rejecting needs a note."""
    rid, _ = world.devices["ofc.nnk.1"].create()
    resp = world.client.post(
        f"/api/v1/reports/{rid}/review",
        headers=world.token("cmd.nnk"),
        json={"status": status, "rev": 1},
    )
    assert resp.status_code == 422 and "note" in resp.get_json()["errors"]


def test_history_records_who_changed_what(world: World) -> None:
    """The report view lists each revision with author, device and changed units."""
    a, b = world.devices["ofc.nnk.1"], world.devices["ofc.nnk.2"]
    rid, _ = a.create()
    b.push(b.op(rid, {"route": "Sebuku river"}, base_rev=1))
    history = world.report(rid)["history"]
    assert [h["rev"] for h in history] == [1, 2]
    assert history[1]["by"] == "ofc.nnk.2" and history[1]["device_id"] == b.device_id
    assert history[1]["units"] == ["route"]
    assert "persons.p1" in history[0]["units"]
