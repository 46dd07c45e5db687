"""Pages through the test client: CSRF, sessions, limits, review, conflicts, devices."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from server import create_app
from server.http import web_sessions
from server.infra.clock import utcnow
from server.infra.db import db
from tests.dashboard.scenarios import make_conflict
from tests.web.pages import csrf_token, post_form, sign_in
from tests.world import World, incident


@pytest.fixture
def commander(world: World) -> Any:
    """A test client signed in as NNK's commander."""
    client = world.app.test_client()
    assert sign_in(client, "cmd.nnk").status_code == 302
    return client


def _status(world: World, report_id: str) -> str:
    """A report's review status."""
    return world.report(report_id)["report"]["review"]["status"]


def test_forms_without_csrf_token_are_refused(world: World, commander: Any) -> None:
    """A POST without the CSRF token gets the HTML error page and changes nothing."""
    report_id, _ = world.devices["ofc.nnk.1"].create()
    resp = commander.post(f"/reports/{report_id}/review", data={"status": "approved", "rev": 1})
    assert resp.status_code == 400 and resp.mimetype == "text/html"
    assert _status(world, report_id) == "submitted"
    anonymous = world.app.test_client()
    resp = anonymous.post("/sign-in", data={"username": "cmd.nnk", "password": "x"})
    assert resp.status_code == 400


def test_officer_and_wrong_password_cannot_sign_in(world: World) -> None:
    """Officers are sent to their devices; a wrong password is one plain message."""
    client = world.app.test_client()
    officer = sign_in(client, "ofc.nnk.1")
    assert officer.status_code == 401 and "perangkat" in officer.get_data(as_text=True)
    wrong = sign_in(client, "cmd.nnk", "guess")
    assert wrong.status_code == 401
    assert client.get("/queue").status_code == 302


def test_session_expires_after_configured_hours(
    world: World, commander: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A session older than PATROLI_SESSION_HOURS no longer opens pages."""
    assert commander.get("/queue").status_code == 200
    signed_in = utcnow()
    monkeypatch.setattr(web_sessions, "utcnow", lambda: signed_in + timedelta(hours=7, minutes=59))
    assert commander.get("/queue").status_code == 200
    monkeypatch.setattr(web_sessions, "utcnow", lambda: signed_in + timedelta(hours=8, seconds=1))
    resp = commander.get("/queue")
    assert resp.status_code == 302 and "/sign-in" in resp.headers["Location"]


def test_sign_out_ends_the_session(world: World, commander: Any) -> None:
    """After signing out the pages ask for sign-in again."""
    post_form(commander, "/queue", "/sign-out", {})
    assert commander.get("/queue").status_code == 302


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "queue"])
def test_sign_in_never_redirects_off_site(world: World, target: str) -> None:
    """The next= parameter only takes paths on this site."""
    client = world.app.test_client()
    token = csrf_token(client.get("/sign-in").get_data(as_text=True))
    resp = client.post(
        "/sign-in",
        data={
            "username": "cmd.nnk",
            "password": "correct horse battery",
            "next": target,
            "csrf_token": token,
        },
    )
    assert resp.status_code == 302 and resp.headers["Location"] == "/queue"


def test_sign_in_and_enrollment_are_rate_limited(app: Flask, world: World) -> None:
    """Past the limit, sign-in answers 429 (a page) and enrollment 429 (problem+json)."""
    limited = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "PATROLI_SIGNIN_RATE_LIMIT": "3 per minute",
            "PATROLI_ENROLL_RATE_LIMIT": "2 per minute",
        }
    )
    try:
        client = limited.test_client()
        # Successful sign-ins are not attempts at guessing: they never count.
        assert [sign_in(client, "hq.1").status_code for _ in range(5)] == [302] * 5
        codes = [sign_in(client, "cmd.nnk", "guess").status_code for _ in range(4)]
        assert codes == [401, 401, 401, 429]
        assert "text/html" in sign_in(client, "cmd.nnk").content_type
        body = {"enrollment_code": "AAAA-BBBB-CCCC", "device_name": "x"}
        enroll = [client.post("/api/v1/devices/enroll", json=body) for _ in range(3)]
        assert [r.status_code for r in enroll] == [401, 401, 429]
        assert enroll[-1].get_json()["type"] == "urn:patroli:problem:rate-limited"
    finally:
        with limited.app_context():
            db.engine.dispose()


def test_successful_enrollments_do_not_count_against_the_limit(app: Flask, world: World) -> None:
    """A commander enrolling several phones from one address is not slowed down."""
    limited = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "PATROLI_ENROLL_RATE_LIMIT": "2 per minute",
        }
    )
    try:
        client = limited.test_client()
        codes = [world.issue_code("ofc.nnk.1") for _ in range(4)]
        statuses = [
            client.post(
                "/api/v1/devices/enroll", json={"enrollment_code": c, "device_name": "x"}
            ).status_code
            for c in codes
        ]
        assert statuses == [201, 201, 201, 201]
    finally:
        with limited.app_context():
            db.engine.dispose()


def test_approve_from_the_page_reaches_the_device(world: World, commander: Any) -> None:
    """The page's approve button is a revision the officer's device pulls."""
    dev = world.devices["ofc.nnk.1"]
    report_id, _ = dev.create()
    _, cursor = dev.pull_all()
    page = f"/reports/{report_id}"
    resp = post_form(commander, page, f"{page}/review", {"status": "approved", "rev": 1})
    assert resp.status_code == 302
    assert "Keputusan disimpan" in commander.get(page).get_data(as_text=True)
    (entry,) = dev.pull_all(cursor)[0]
    assert entry["report"]["review"]["status"] == "approved"


def test_stale_revision_is_explained_and_nothing_saved(world: World, commander: Any) -> None:
    """Deciding on a revision that changed meanwhile shows both revisions and saves nothing."""
    dev = world.devices["ofc.nnk.1"]
    report_id, _ = dev.create()
    dev.push(dev.op(report_id, {"route": "River path"}, base_rev=1))
    page = f"/reports/{report_id}"
    post_form(commander, page, f"{page}/review", {"status": "approved", "rev": 1})
    html = commander.get(page).get_data(as_text=True)
    assert "revisi 1" in html and "revisi 2" in html
    assert _status(world, report_id) == "submitted"


@pytest.mark.parametrize("status", ["needs_info", "rejected"])
def test_note_required_for_needs_info_and_reject(world: World, commander: Any, status: str) -> None:
    """Without a note the decision is refused with a message."""
    report_id, _ = world.devices["ofc.nnk.1"].create()
    page = f"/reports/{report_id}"
    post_form(commander, page, f"{page}/review", {"status": status, "rev": 1, "note": "  "})
    assert "Tulis catatan" in commander.get(page).get_data(as_text=True)
    assert _status(world, report_id) == "submitted"


def test_user_text_is_escaped(world: World, commander: Any) -> None:
    """Titles and narratives are shown as text, never as markup."""
    evil = "<script>alert(1)</script>"
    report_id, _ = world.devices["ofc.nnk.1"].create(incident(title=evil, narrative=evil))
    for url in ("/queue", f"/reports/{report_id}"):
        html = commander.get(url).get_data(as_text=True)
        assert evil not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_times_in_each_posts_local_zone(world: World) -> None:
    """NNK (Asia/Makassar) shows WITA, DUM (Asia/Jakarta) WIB, at the right hour."""
    nnk, _ = world.devices["ofc.nnk.1"].create(incident(occurred_at="2026-11-20T03:15:00+08:00"))
    dum, _ = world.devices["ofc.dum.1"].create(incident(occurred_at="2026-11-20T03:15:00+08:00"))
    hq = world.app.test_client()
    sign_in(hq, "hq.1")
    assert re.search(r"03[.:]15\S* WITA", hq.get(f"/reports/{nnk}").get_data(as_text=True))
    assert re.search(r"02[.:]15\S* WIB", hq.get(f"/reports/{dum}").get_data(as_text=True))


def test_enrollment_code_shown_once_and_enrolls(world: World, commander: Any) -> None:
    """The page shows the code with no-store; the code enrolls one device."""
    resp = post_form(commander, "/devices", "/devices/enrollment-code", {"username": "ofc.nnk.3"})
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    code = re.search(r'id="enrollment-code">([0-9A-Z-]+)<', resp.get_data(as_text=True)).group(1)
    assert world.enroll(code, "ofc.nnk.3").post == "NNK"
    assert code not in commander.get("/devices").get_data(as_text=True)


def test_revoke_needs_a_reason(world: World, commander: Any) -> None:
    """Revoking without a reason is refused; with one, the device's token stops working."""
    dev = world.devices["ofc.nnk.2"]
    url = f"/devices/{dev.device_id}/revoke"
    post_form(commander, "/devices", url, {"reason": " "})
    assert world.client.get("/api/v1/sync/pull", headers=dev.headers).status_code == 200
    post_form(commander, "/devices", url, {"reason": "phone lost at the jetty"})
    html = commander.get("/devices").get_data(as_text=True)
    assert "phone lost at the jetty" in html
    assert world.client.get("/api/v1/sync/pull", headers=dev.headers).status_code == 401


def test_conflict_page_json_merge(world: World, commander: Any) -> None:
    """A structured field is merged as JSON; bad JSON saves nothing."""
    kept = {"role": "victim", "sex": "F", "age": 16}
    lost = {"role": "victim", "sex": "F", "age": 17, "nationality": "ID"}
    report_id, record = make_conflict(world, "persons.p1", kept, lost)
    page = f"/conflicts/{record['id']}"
    html = commander.get(page).get_data(as_text=True)
    assert 'class="changed"' in html and "Kewarganegaraan" in html
    url = f"{page}/resolve"
    post_form(commander, page, url, {"choice": "value", "mode": "json", "value": "{oops"})
    assert world.report(report_id)["conflicts"][0]["status"] == "open"
    merged = '{"role": "victim", "sex": "F", "age": 16, "nationality": "ID"}'
    resp = post_form(commander, page, url, {"choice": "value", "mode": "json", "value": merged})
    assert resp.status_code == 302 and f"/reports/{report_id}" in resp.headers["Location"]
    view = world.report(report_id)
    assert view["report"]["persons"]["p1"] == {
        "role": "victim",
        "sex": "F",
        "age": 16,
        "nationality": "ID",
    }
    assert view["conflicts"][0]["status"] == "resolved"
    resolved = commander.get(page).get_data(as_text=True)
    assert "Diselesaikan oleh cmd.nnk" in resolved and 'id="choose-kept"' not in resolved


def test_api_accepts_the_session_but_changes_need_the_csrf_header(world: World) -> None:
    """Dashboard links use the session; a cookie-only POST without X-CSRFToken is refused."""
    hq = world.app.test_client()
    sign_in(hq, "hq.1")
    csv = hq.get("/api/v1/aggregates?group_by=post&format=csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    _, record = make_conflict(world)
    cmd = world.app.test_client()
    sign_in(cmd, "cmd.nnk")
    url = f"/api/v1/conflicts/{record['id']}/resolve"
    refused = cmd.post(url, json={"choose": "kept"})
    assert refused.status_code == 403
    token = csrf_token(cmd.get("/queue").get_data(as_text=True))
    done = cmd.post(url, json={"choose": "kept"}, headers={"X-CSRFToken": token})
    assert done.status_code == 200


def test_dashboard_renders_charts_without_scripts(world: World) -> None:
    """Inline SVG charts, tables, no <script>, no external address; bad filters explained."""
    world.devices["ofc.nnk.1"].create()
    hq = world.app.test_client()
    sign_in(hq, "hq.1")
    resp = hq.get("/dashboard?min_count=2&status=submitted")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and html.count("<svg") == 4
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org", "")
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
    bad = hq.get("/dashboard?from=yesterday").get_data(as_text=True)
    assert "from:" in bad and bad.count("<svg") == 4


def test_static_assets_are_served_locally(client: Any) -> None:
    """The stylesheet and icon come from Patroli itself."""
    for path in ("/static/patroli.css", "/static/favicon.svg"):
        with client.get(path) as resp:
            assert resp.status_code == 200 and resp.content_length > 100


def test_templates_reference_no_external_assets() -> None:
    """No template or stylesheet points at another host (the pages work offline)."""
    root = Path(__file__).resolve().parents[2] / "server"
    static = [p for p in root.glob("static/**/*") if p.is_file() and p.suffix != ".png"]
    for path in [*root.glob("templates/*.html"), *static]:
        text = path.read_text()
        assert not re.search(r"(src|href)=\"(https?:)?//", text), path
        assert "url(http" not in text, path


def test_report_page_marks_attachments_not_uploaded_yet(world: World, commander: Any) -> None:
    """An attachment whose bytes have not arrived carries a badge; an uploaded one does not."""
    from tests.api.test_blobs import attach, content, put

    dev = world.devices["ofc.nnk.1"]
    report_id, _ = dev.create(incident())
    (data_a, sha_a), (_, sha_b) = content(100, 21), content(200, 22)
    attach(dev, report_id, sha_a, sha_b)
    assert put(dev, sha_a, data_a).status_code == 201
    html = commander.get(f"/reports/{report_id}").get_data(as_text=True)
    items = re.findall(r"<li>(.*?)</li>", html, flags=re.S)
    by_sha = {sha: next(i for i in items if f"{sha[:12]}…" in i) for sha in (sha_a, sha_b)}
    assert "badge-warn" not in by_sha[sha_a]
    assert "badge-warn" in by_sha[sha_b] and "belum diunggah" in by_sha[sha_b]
