"""A key given twice in one JSON object is refused (I-JSON), at any depth, on every JSON body."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from flask import Flask

from tests.dashboard.scenarios import make_conflict
from tests.hostile.counts import assert_problem, assert_still_serving, row_counts
from tests.web.pages import post_form, sign_in
from tests.world import World, incident, new_id


def _repeat(body: bytes, pair: bytes, repeated: bytes) -> bytes:
    """``body`` with ``pair`` (found once) followed by ``repeated``, a same-key pair."""
    assert body.count(pair) == 1, pair
    return body.replace(pair, pair + b"," + repeated)


_P1 = b'"p1":{"role":"victim","sex":"F","age":16,"nationality":"ID"}'


@pytest.mark.parametrize(
    ("pair", "repeated"),
    [
        (b'"batch_id":"B"', b'"batch_id":"C"'),
        (b'"report_id":"R"', b'"report_id":"00000000-0000-4000-8000-000000000000"'),
        (b'"title":"Five workers crossing at night"', b'"title":"Other"'),
        (_P1, b'"p1":{"role":"suspect"}'),
        (b'"sex":"F"', b'"sex":"M"'),
        (b'"age":16', b'"\\u0061ge":61'),
    ],
    ids=["batch", "change", "fields", "persons", "person", "escaped-equal"],
)
def test_push_with_a_repeated_key_is_400_nothing_stored(
    world: World, app: Flask, pair: bytes, repeated: bytes
) -> None:
    """Last-wins would create another report (or store another value) than the first one read."""
    dev = world.devices["ofc.nnk.1"]
    batch_id, report_id = new_id(), new_id()
    body = orjson.dumps({"batch_id": batch_id, "changes": [dev.op(report_id, incident())]})
    pair = pair.replace(b'"B"', f'"{batch_id}"'.encode()).replace(b'"R"', f'"{report_id}"'.encode())
    body = _repeat(body, pair, repeated)
    orjson.loads(body)  # valid JSON to a last-wins parser: only the repeat is wrong
    before = row_counts(app)
    resp = world.client.post(
        "/api/v1/sync/push", data=body, content_type="application/json", headers=dev.headers
    )
    problem = assert_problem(resp, 400, "malformed-body")
    assert "twice" in problem["detail"] and "RFC 7493" in problem["detail"]
    assert row_counts(app) == before
    assert_still_serving(world.client)


def test_enroll_with_a_repeated_key_is_400_and_the_code_still_works(
    world: World, app: Flask
) -> None:
    """An enrollment body naming two codes enrolls nothing; the real code stays unused."""
    code = world.issue_code("ofc.nnk.3")
    body = orjson.dumps({"enrollment_code": code, "device_name": "phone"})
    body = _repeat(body, f'"enrollment_code":"{code}"'.encode(), b'"enrollment_code":"WRONG"')
    before = row_counts(app)
    resp = world.client.post("/api/v1/devices/enroll", data=body, content_type="application/json")
    assert_problem(resp, 400, "malformed-body")
    assert row_counts(app) == before
    assert world.enroll(code, "ofc.nnk.3").post == "NNK"


def test_review_with_a_repeated_key_is_400_status_unchanged(world: World, app: Flask) -> None:
    """A decision naming two statuses records neither."""
    report_id, _ = world.devices["ofc.nnk.1"].create()
    review_before = world.report(report_id)["report"]["review"]
    body = b'{"status":"approved","rev":1,"status":"rejected","note":"x"}'
    assert orjson.loads(body)["status"] == "rejected"  # what last-wins would record
    resp = world.client.post(
        f"/api/v1/reports/{report_id}/review",
        data=body,
        content_type="application/json",
        headers=world.token("cmd.nnk"),
    )
    assert_problem(resp, 400, "malformed-body")
    after = world.report(report_id)
    assert after["report"]["review"] == review_before
    assert after["report"]["rev"] == 1


def test_conflict_form_json_with_a_repeated_key_saves_nothing(world: World, app: Flask) -> None:
    """The commander's JSON merge on the conflict page follows the same rule as the API."""
    kept = {"role": "victim", "sex": "F", "age": 16}
    lost = {"role": "victim", "sex": "F", "age": 17}
    report_id, record = make_conflict(world, "persons.p1", kept, lost)
    commander: Any = app.test_client()
    sign_in(commander, "cmd.nnk")
    page = f"/conflicts/{record['id']}"
    merged = '{"role": "victim", "sex": "F", "age": 16, "age": 17}'
    resp = post_form(
        commander, page, f"{page}/resolve", {"choice": "value", "mode": "json", "value": merged}
    )
    assert resp.status_code in (200, 302)
    view = world.report(report_id)
    assert view["conflicts"][0]["status"] == "open"
    assert view["report"]["persons"]["p1"] == kept


def test_objects_nested_near_the_parser_limit_are_400(world: World, app: Flask) -> None:
    """orjson takes 1,023 levels, the duplicate-key pass fewer: the deep body is still a
    clean 400, never a 500; nothing stored."""
    body = b'{"batch_id": ' + b'{"a":' * 1020 + b"1" + b"}" * 1020 + b', "changes": []}'
    orjson.loads(body)
    before = row_counts(app)
    resp = world.client.post(
        "/api/v1/sync/push",
        data=body,
        content_type="application/json",
        headers=world.devices["ofc.nnk.1"].headers,
    )
    assert_problem(resp, 400, "malformed-body")
    assert row_counts(app) == before
