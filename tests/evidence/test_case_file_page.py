"""The report page's "Download case file" button."""

from __future__ import annotations

import io

from flask.testing import FlaskClient

from sync import casefile
from tests.hostile.counts import database_state
from tests.web.pages import csrf_token, sign_in
from tests.world import World


def _signed_in(world: World, username: str) -> FlaskClient:
    client = world.app.test_client()
    assert sign_in(client, username).status_code == 302
    return client


def test_a_commander_downloads_a_case_file_that_verifies(world: World) -> None:
    report_id, _ = world.signing_device("ofc.nnk.1").create()
    client = _signed_in(world, "cmd.nnk")
    client.set_cookie("lang", "id")
    page = client.get(f"/reports/{report_id}", headers={"Accept-Language": "id"})
    html = page.get_data(as_text=True)
    assert "Unduh berkas perkara" in html
    resp = client.post(f"/reports/{report_id}/case-file", data={"csrf_token": csrf_token(html)})
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    assert f"berkas-perkara-{report_id}.zip" in resp.headers["Content-Disposition"]
    assert casefile.verify(io.BytesIO(resp.data)).report_id == report_id


def test_the_button_is_not_offered_to_an_admin(world: World) -> None:
    report_id, _ = world.devices["ofc.nnk.1"].create()
    html = _signed_in(world, "admin").get(f"/reports/{report_id}").get_data(as_text=True)
    assert "case-file" not in html


def test_without_a_csrf_token_nothing_is_exported(world: World) -> None:
    report_id, _ = world.devices["ofc.nnk.1"].create()
    client = _signed_in(world, "hq.1")
    before = database_state(world.app)
    resp = client.post(f"/reports/{report_id}/case-file")
    assert resp.status_code == 400
    assert database_state(world.app) == before  # no checkpoint, no key made
