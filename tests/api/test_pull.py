"""Pull: scope, cursor pagination, latest state once, conflicts, cursor errors."""

from __future__ import annotations

import pytest

from server.reports.pull import encode_cursor
from sync import hlc as H
from tests.world import World, incident


def test_pagination_returns_every_report_exactly_once(world: World) -> None:
    """Small pages deliver each of 23 reports once, in order, then has_more is false."""
    dev = world.devices["ofc.nnk.1"]
    created = [dev.create()[0] for _ in range(23)]
    changes, _ = dev.pull_all(limit=5)
    ids = [c["report"]["id"] for c in changes]
    assert ids == created


def test_pull_gives_latest_state_once(world: World) -> None:
    """A report edited three times after the cursor appears once, at its last revision."""
    dev = world.devices["ofc.nnk.1"]
    rid, _ = dev.create()
    _, cursor = dev.pull_all()
    for n in range(2, 5):
        dev.push(dev.op(rid, {"narrative": f"edit {n}"}, base_rev=n - 1))
    changes, cursor2 = dev.pull_all(cursor)
    assert len(changes) == 1
    assert changes[0]["report"]["rev"] == 4 and changes[0]["report"]["narrative"] == "edit 4"
    assert dev.pull_all(cursor2)[0] == []


def test_pull_is_scoped_to_the_post(world: World) -> None:
    """A DUM device never receives NNK reports."""
    nnk, dum = world.devices["ofc.nnk.1"], world.devices["ofc.dum.1"]
    nnk.create()
    dum_id, _ = dum.create()
    changes, _ = dum.pull_all()
    assert [c["report"]["id"] for c in changes] == [dum_id]


def test_other_officers_edits_reach_the_device(world: World) -> None:
    """A second NNK device pulls the first device's report and its later edit."""
    a, b = world.devices["ofc.nnk.1"], world.devices["ofc.nnk.2"]
    rid, _ = a.create()
    _, cursor = b.pull_all()
    a.push(a.op(rid, {"route": "Sebuku river"}, base_rev=1))
    changes, _ = b.pull_all(cursor)
    assert changes[0]["report"]["route"] == "Sebuku river"


def test_open_conflicts_travel_with_the_report(world: World) -> None:
    """After a conflict the pulled report carries its open conflict records."""
    a, b = world.devices["ofc.nnk.1"], world.devices["ofc.nnk.2"]
    rid, _ = a.create()
    a.push(a.op(rid, {"title": "A"}, base_rev=1))
    (r,) = b.push(b.op(rid, {"title": "B"}, base_rev=1))
    assert r["status"] == "conflict"
    changes, _ = b.pull_all()
    (entry,) = [c for c in changes if c["report"]["id"] == rid]
    assert [c["field"] for c in entry["open_conflicts"]] == ["title"]
    assert entry["open_conflicts"][0]["id"] == r["conflicts"][0]["id"]


def test_losing_op_still_moves_report_in_pull(world: World) -> None:
    """An op that only lost a conflict changes no value but devices still see the conflict."""
    a, b = world.devices["ofc.nnk.1"], world.devices["ofc.nnk.2"]
    rid, _ = a.create()
    now = H.now_ms()
    a.push(a.op(rid, {"title": "A"}, base_rev=1, hlc=a.hlc(now + 10)))
    _, cursor = a.pull_all()
    (r,) = b.push(b.op(rid, {"title": "B"}, base_rev=1, hlc=b.hlc(now)))
    assert r["status"] == "conflict" and r["rev"] == 2
    changes, _ = a.pull_all(cursor)
    assert changes[0]["report"]["title"] == "A"
    assert changes[0]["open_conflicts"][0]["lost"] == "B"


def test_review_decision_reaches_device(world: World) -> None:
    """A commander's decision is a new revision that the device pulls with its note."""
    dev = world.devices["ofc.nnk.1"]
    rid, _ = dev.create()
    _, cursor = dev.pull_all()
    resp = world.client.post(
        f"/api/v1/reports/{rid}/review",
        headers=world.token("cmd.nnk"),
        json={"status": "needs_info", "note": "Add the boat's name", "rev": 1},
    )
    assert resp.status_code == 200
    changes, _ = dev.pull_all(cursor)
    review = changes[0]["report"]["review"]
    assert review["status"] == "needs_info" and review["note"] == "Add the boat's name"
    assert review["by"] == "cmd.nnk" and changes[0]["report"]["rev"] == 2


@pytest.mark.parametrize("cursor", ["garbage!", "cDE6LTE", "eHg6MQ"])
def test_invalid_cursor_is_a_validation_problem(world: World, cursor: str) -> None:
    """A cursor the server did not issue is a 400 problem naming ``cursor``."""
    dev = world.devices["ofc.nnk.1"]
    resp = world.client.get(
        "/api/v1/sync/pull", query_string={"cursor": cursor}, headers=dev.headers
    )
    assert resp.status_code == 400 and resp.mimetype == "application/problem+json"
    assert "cursor" in resp.get_json()["errors"]


def test_cursor_beyond_server_is_expired(world: World) -> None:
    """A cursor from the future (another server, a restored backup) answers 410."""
    dev = world.devices["ofc.nnk.1"]
    dev.create()
    resp = world.client.get(
        "/api/v1/sync/pull", query_string={"cursor": encode_cursor(999)}, headers=dev.headers
    )
    assert resp.status_code == 410
    assert resp.get_json()["type"] == "urn:patroli:problem:cursor-expired"


@pytest.mark.parametrize("limit", ["0", "-3", "abc", "100000"])
def test_bad_limit(world: World, limit: str) -> None:
    """limit outside 1..max is refused with a field error."""
    dev = world.devices["ofc.nnk.1"]
    resp = world.client.get("/api/v1/sync/pull", query_string={"limit": limit}, headers=dev.headers)
    assert resp.status_code == 400 and "limit" in resp.get_json()["errors"]


def test_people_cannot_pull(world: World) -> None:
    """Pull is the device protocol; a commander's token gets 403."""
    resp = world.client.get("/api/v1/sync/pull", headers=world.token("cmd.nnk"))
    assert resp.status_code == 403


def test_gzip_response_when_asked(world: World) -> None:
    """``Accept-Encoding: gzip`` gets a gzip-compressed pull page."""
    import gzip
    import json

    dev = world.devices["ofc.nnk.1"]
    for _ in range(5):
        dev.create(incident(narrative="long text " * 50))
    resp = world.client.get("/api/v1/sync/pull", headers=dev.headers | {"Accept-Encoding": "gzip"})
    assert resp.headers.get("Content-Encoding") == "gzip"
    body = json.loads(gzip.decompress(resp.get_data()))
    assert len(body["changes"]) == 5
