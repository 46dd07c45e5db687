"""The commander's and HQ's pages show alerts and links, within scope."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.detection.scenario import seed
from tests.web.pages import sign_in
from tests.world import World, incident


def _signed_in(world: World, username: str) -> FlaskClient:
    client = world.app.test_client()
    assert sign_in(client, username).status_code == 302
    return client


def test_queue_shows_the_badge_and_filters_by_alert(world: World) -> None:
    ids = seed(world)
    plain, _ = world.devices["ofc.nnk.2"].create(incident(title="Quiet night"))
    client = _signed_in(world, "cmd.nnk")
    html = client.get("/queue?lang=en").get_data(as_text=True)
    assert 'data-alert="deferred_applicant">Deferred passport applicant<' in html
    assert "Quiet night" in html
    filtered = client.get("/queue?alert=deferred_applicant&lang=en").get_data(as_text=True)
    assert ids.incident in filtered and plain not in filtered
    assert 'value="deferred_applicant" selected' in filtered


def test_report_page_shows_the_link_without_the_other_posts_report(world: World) -> None:
    ids = seed(world)
    html = (
        _signed_in(world, "cmd.nnk").get(f"/reports/{ids.incident}?lang=en").get_data(as_text=True)
    )
    assert 'data-alert="seen_before">Seen before<' in html
    assert "same document number" in html and "Passport deferral" in html
    assert ids.deferral not in html
    assert "/persons/" not in html  # the person page is HQ's


def test_hq_report_page_links_to_the_other_report_and_the_person_page(world: World) -> None:
    ids = seed(world)
    client = _signed_in(world, "hq.1")
    html = client.get(f"/reports/{ids.incident}?lang=en").get_data(as_text=True)
    assert f"/reports/{ids.deferral}" in html
    assert f"/persons/{ids.incident}/v1" in html
    person = client.get(f"/persons/{ids.incident}/v1?lang=en").get_data(as_text=True)
    assert person.index(f'data-report="{ids.deferral}"') < person.index(
        f'data-report="{ids.incident}"'
    )
    assert "2 appearances" in person
    assert 'id="network"' not in person  # she is no suspect


def test_hq_sees_a_suspects_network(world: World) -> None:
    calo = {"role": "suspect", "sex": "M", "age": 45, "name": "Darman bin Usman"}
    girl = {"role": "victim", "sex": "F", "age": 16, "name": "Ayu"}
    woman = {"role": "victim", "sex": "F", "age": 23, "name": "Rina"}
    dum, nnk = world.devices["ofc.dum.1"], world.devices["ofc.nnk.1"]
    first, _ = dum.create(
        incident(occurred_at="2026-09-01T10:00:00+07:00", persons={"s": calo, "v": girl})
    )
    second, _ = nnk.create(incident(persons={"s": dict(calo, name="Darman Usman"), "v": woman}))
    html = _signed_in(world, "hq.1").get(f"/persons/{second}/s?lang=en").get_data(as_text=True)
    assert 'id="network"' in html
    assert html.count('class="node-report"') == 2
    assert html.count('class="node-victim"') == 2
    assert 'fill="#dc2626" class="node-victim"' in html  # the minor


def test_person_page_of_an_unknown_person_is_404(world: World) -> None:
    ids = seed(world)
    resp = _signed_in(world, "hq.1").get(f"/persons/{ids.incident}/nobody")
    assert resp.status_code == 404
