"""Stolen and revoked tokens, enrollment codes, guessing, CSRF, injection strings."""

from __future__ import annotations

import pytest
from flask import Flask
from markupsafe import escape

from server.infra.db import db
from server.infra.models import Device
from tests.hostile.counts import assert_problem, assert_still_serving, row_counts
from tests.web.pages import csrf_token, sign_in
from tests.world import World, incident, new_id

INJECTIONS = [
    "'; DROP TABLE reports; --",
    '" OR 1=1 --',
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "{{ 7*7 }} {% raw %}",
    "%s%s%s%n",
    "../../../../etc/passwd",
]


def _revoke(world: World, device_id: str) -> None:
    resp = world.client.post(
        f"/api/v1/devices/{device_id}/revoke",
        json={"reason": "stolen"},
        headers=world.token("cmd.nnk"),
    )
    assert resp.status_code == 200, resp.get_json()


def test_replayed_token_of_revoked_device(world: World, app: Flask) -> None:
    """After revocation the old token gets 401 device-revoked on push and pull, nothing stored."""
    dev = world.devices["ofc.nnk.1"]
    _revoke(world, dev.device_id)
    before = row_counts(app)
    assert_problem(dev.push_raw([dev.op(new_id(), incident())]), 401, "device-revoked")
    resp = world.client.get("/api/v1/sync/pull", headers=dev.headers)
    assert_problem(resp, 401, "device-revoked")
    assert row_counts(app) == before
    assert world.devices["ofc.nnk.2"].push(world.devices["ofc.nnk.2"].op(new_id(), incident()))


@pytest.mark.parametrize(
    "header",
    ["Bearer ", "Bearer dv_forged", "Basic YWRtaW46YWRtaW4=", "bearer", "Bearer " + "a" * 10_000],
)
def test_forged_tokens_401(world: World, app: Flask, header: str) -> None:
    """Forged, empty, foreign-scheme and huge tokens are 401 unauthorized."""
    resp = world.client.get("/api/v1/sync/pull", headers={"Authorization": header})
    assert_problem(resp, 401, "unauthorized")
    assert_still_serving(world.client)


def test_person_token_cannot_push(world: World, app: Flask) -> None:
    """A commander's bearer token is not a device: push is refused, nothing stored."""
    dev = world.devices["ofc.nnk.1"]
    body = {"batch_id": new_id(), "changes": [dev.op(new_id(), incident())]}
    resp = world.client.post("/api/v1/sync/push", json=body, headers=world.token("cmd.nnk"))
    assert resp.status_code in (401, 403)
    assert resp.get_json()["type"] in (
        "urn:patroli:problem:unauthorized",
        "urn:patroli:problem:forbidden",
    )
    assert row_counts(app)["reports"] == 0


def test_expired_and_reused_enrollment_codes(world: World, app: Flask) -> None:
    """An expired code and a used code are both refused; no device is added."""
    expired = world.issue_code("ofc.nnk.2", ttl_s=-1)
    fresh = world.issue_code("ofc.nnk.2")
    world.enroll(fresh, "ofc.nnk.2")
    before = row_counts(app)
    for code in (expired, fresh):
        resp = world.client.post(
            "/api/v1/devices/enroll", json={"enrollment_code": code, "device_name": "thief"}
        )
        assert_problem(resp, 401, "unauthorized")
    assert row_counts(app) == before


def test_enrollment_code_guessing_is_rate_limited(world: World, app: Flask) -> None:
    """Guessing codes hits 429 rate-limited after the limit; even a right code then waits."""
    limit = int(app.config["PATROLI_ENROLL_RATE_LIMIT"].split()[0])
    statuses = []
    for i in range(limit + 2):
        resp = world.client.post(
            "/api/v1/devices/enroll",
            json={"enrollment_code": f"AAAA-BBBB-{i:04d}", "device_name": "guess"},
        )
        statuses.append(resp.status_code)
    assert statuses[:limit] == [401] * limit and statuses[limit:] == [429, 429]
    assert_problem(resp, 429, "rate-limited")
    good = world.issue_code("ofc.nnk.3")
    resp = world.client.post(
        "/api/v1/devices/enroll", json={"enrollment_code": good, "device_name": "late"}
    )
    assert resp.status_code == 429
    assert_still_serving(world.client)


def test_web_form_without_csrf_token_changes_nothing(world: World, app: Flask) -> None:
    """A revoke form posted without its CSRF token is refused and the device stays enrolled."""
    dev = world.devices["ofc.nnk.1"]
    web = app.test_client()
    sign_in(web, "cmd.nnk")
    resp = web.post(f"/devices/{dev.device_id}/revoke", data={"reason": "csrf"})
    assert resp.status_code in (400, 403)
    resp = web.post(
        f"/devices/{dev.device_id}/revoke", data={"reason": "csrf", "csrf_token": "forged"}
    )
    assert resp.status_code in (400, 403)
    api = web.post(f"/api/v1/devices/{dev.device_id}/revoke", json={"reason": "csrf"})
    assert_problem(api, 403, "forbidden")
    with app.app_context():
        assert db.session.get(Device, dev.device_id).revoked_at is None
    assert dev.push(dev.op(new_id(), incident()))[0]["status"] == "applied"


@pytest.mark.parametrize("evil", INJECTIONS)
def test_injection_strings_stored_verbatim_and_escaped(world: World, app: Flask, evil: str) -> None:
    """SQL and script injection strings are plain text: stored verbatim, escaped in pages."""
    dev = world.devices["ofc.nnk.1"]
    rid, result = dev.create(
        incident(
            title=evil, narrative=evil, route=evil, persons={"p1": {"role": "victim", "name": evil}}
        )
    )
    assert result["status"] == "applied"
    doc = world.report(rid)["report"]
    assert doc["title"] == doc["narrative"] == doc["route"] == evil
    assert doc["persons"]["p1"]["name"] == evil
    search = world.client.get(
        "/api/v1/reports", query_string={"text": evil}, headers=world.token("cmd.nnk")
    )
    assert search.status_code == 200
    web = app.test_client()
    sign_in(web, "cmd.nnk")
    for url in (f"/reports/{rid}", "/queue", f"/queue?text={evil}"):
        page = web.get(url)
        assert page.status_code == 200, url
        body = page.get_data(as_text=True)
        if "<" in evil:
            assert evil not in body, url
        if url.startswith("/reports/"):
            assert str(escape(evil)) in body
    assert row_counts(app)["reports"] == 1
    csrf_token(web.get(f"/reports/{rid}").get_data(as_text=True))


def test_report_page_renders_a_person_without_age(world: World, app: Flask) -> None:
    """A person with no age (it is optional) used to crash the report page with a 500."""
    dev = world.devices["ofc.nnk.1"]
    rid, _ = dev.create(
        incident(persons={"p1": {"role": "victim"}, "p2": {"role": "victim", "age": 12}})
    )
    web = app.test_client()
    sign_in(web, "cmd.nnk")
    page = web.get(f"/reports/{rid}")
    assert page.status_code == 200
    assert page.get_data(as_text=True).count('class="minor"') == 1
