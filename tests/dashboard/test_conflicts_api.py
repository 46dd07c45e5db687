"""Conflict resolution through the API, and its round trip to devices."""

from __future__ import annotations

from typing import Any

import pytest

from tests.dashboard.scenarios import make_conflict
from tests.hostile.counts import assert_problem, database_state
from tests.world import World


def _resolve(world: World, conflict_id: str, body: dict[str, Any], who: str = "cmd.nnk") -> Any:
    """POST a resolution as ``who``."""
    return world.client.post(
        f"/api/v1/conflicts/{conflict_id}/resolve", json=body, headers=world.token(who)
    )


def _current(device: Any, report_id: str) -> dict[str, Any]:
    """The latest pulled entry of a report on ``device``."""
    changes, _ = device.pull_all()
    latest = [c for c in changes if c.get("report", {}).get("id") == report_id]
    return latest[-1]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"choose": "kept"}, "Seen at dawn."),
        ({"choose": "lost"}, "Seen at dusk."),
        ({"value": "Seen at dawn; boat left at dusk."}, "Seen at dawn; boat left at dusk."),
    ],
)
def test_resolution_round_trip_both_devices_end_with_chosen_value(
    world: World, body: dict[str, Any], expected: str
) -> None:
    """Resolving is a new revision; both devices pull the chosen value and no open conflict."""
    report_id, record = make_conflict(world)
    before = world.report(report_id)["report"]["rev"]
    resp = _resolve(world, record["id"], body)
    assert resp.status_code == 200, resp.get_json()
    doc = resp.get_json()["report"]
    assert doc["narrative"] == expected and doc["rev"] == before + 1
    for name in ("ofc.nnk.1", "ofc.nnk.2"):
        entry = _current(world.devices[name], report_id)
        assert entry["report"]["narrative"] == expected
        assert entry["report"]["rev"] == before + 1
        assert entry["open_conflicts"] == []
    view = world.report(report_id)
    (conflict,) = view["conflicts"]
    assert conflict["status"] == "resolved"
    assert view["history"][-1]["action"] == "resolve"
    assert view["history"][-1]["by"] == "cmd.nnk"
    assert view["history"][-1]["units"] == ["narrative"]


def test_resolving_twice_is_409_and_changes_nothing(world: World) -> None:
    """The second resolution of one conflict is refused; the revision stays."""
    report_id, record = make_conflict(world)
    assert _resolve(world, record["id"], {"choose": "lost"}).status_code == 200
    rev = world.report(report_id)["report"]["rev"]
    before = database_state(world.app)
    again = _resolve(world, record["id"], {"choose": "kept"})
    assert_problem(again, 409, "conflict")
    assert database_state(world.app) == before
    after = world.report(report_id)["report"]
    assert after["rev"] == rev and after["narrative"] == "Seen at dusk."


def test_open_conflict_count_and_listing(world: World) -> None:
    """Open conflicts are listed per post; resolving moves one to resolved."""
    _, record = make_conflict(world)
    headers = world.token("cmd.nnk")
    listed = world.client.get("/api/v1/conflicts?status=open", headers=headers).get_json()
    assert [c["id"] for c in listed["conflicts"]] == [record["id"]]
    assert listed["conflicts"][0]["report_title"] == "Five workers crossing at night"
    other = world.client.get("/api/v1/conflicts?status=open", headers=world.token("cmd.dum"))
    assert other.get_json()["conflicts"] == []
    _resolve(world, record["id"], {"choose": "kept"})
    listed = world.client.get("/api/v1/conflicts?status=open", headers=headers).get_json()
    assert listed["conflicts"] == []
    done = world.client.get("/api/v1/conflicts?status=resolved", headers=headers).get_json()
    assert done["conflicts"][0]["resolved_by"] == "cmd.nnk"


@pytest.mark.parametrize(
    ("body", "status", "slug", "field"),
    [
        ({}, 400, "validation-failed", "choose"),
        ({"choose": "both"}, 400, "validation-failed", "choose"),
        ({"choose": "kept", "value": "x"}, 400, "validation-failed", "choose"),
        ({"value": 42}, 422, "validation-failed", "narrative"),
        ({"value": "x" * 20_001}, 422, "validation-failed", "narrative"),
        ({"choose": "kept", "rev": 1}, 409, "stale-revision", None),
    ],
)
def test_bad_resolutions_refused_and_conflict_stays_open(
    world: World, body: dict[str, Any], status: int, slug: str, field: str | None
) -> None:
    """Bad bodies, invalid merged values and stale revisions change nothing."""
    report_id, record = make_conflict(world)
    rev = world.report(report_id)["report"]["rev"]
    before = database_state(world.app)
    resp = _resolve(world, record["id"], body)
    assert_problem(resp, status, slug)
    assert database_state(world.app) == before
    if field:
        assert field in resp.get_json()["errors"]
    view = world.report(report_id)
    assert view["report"]["rev"] == rev and view["conflicts"][0]["status"] == "open"


def test_merged_person_value_is_validated(world: World) -> None:
    """A merged value for a persons element goes through the person schema."""
    kept = {"role": "victim", "sex": "F", "age": 16}
    lost = {"role": "victim", "sex": "F", "age": 17}
    report_id, record = make_conflict(world, "persons.p1", kept, lost)
    bad = _resolve(world, record["id"], {"value": {"role": "victim", "age": 300}})
    assert bad.status_code == 422 and "persons.p1.age" in bad.get_json()["errors"]
    good = _resolve(world, record["id"], {"value": {"role": "victim", "sex": "F", "age": 15}})
    assert good.status_code == 200
    assert good.get_json()["report"]["persons"]["p1"]["age"] == 15


def test_stale_offline_edit_after_resolution_is_a_new_conflict(world: World) -> None:
    """An officer edit from a revision before the resolution cannot silently undo it."""
    report_id, record = make_conflict(world)
    old_base = world.report(report_id)["report"]["rev"]
    _resolve(world, record["id"], {"value": "Agreed text."})
    dev = world.devices["ofc.nnk.3"]
    # Made offline earlier (older HLC), delivered after the resolution.
    (result,) = dev.push(
        dev.op(report_id, {"narrative": "Old offline text."}, base_rev=old_base, hlc=dev.hlc(1_000))
    )
    assert result["status"] == "conflict"
    assert result["conflicts"][0]["kept"] == "Agreed text."
    assert world.report(report_id)["report"]["narrative"] == "Agreed text."


def test_scope_and_roles(world: World) -> None:
    """Another post's commander gets 404; HQ and devices may not resolve; nothing changes."""
    _, record = make_conflict(world)
    for who in ("cmd.dum", "hq.1", "cmd.nnk"):
        world.token(who)  # issued now, so the refusals below are the only requests
    before = database_state(world.app)
    choose = {"choose": "kept"}
    assert_problem(_resolve(world, record["id"], choose, "cmd.dum"), 404, "not-found")
    assert_problem(_resolve(world, record["id"], choose, "hq.1"), 403, "forbidden")
    dev = world.devices["ofc.nnk.1"]
    resp = world.client.post(
        f"/api/v1/conflicts/{record['id']}/resolve", json=choose, headers=dev.headers
    )
    assert_problem(resp, 403, "forbidden")
    assert_problem(_resolve(world, "no-such-id", choose), 404, "not-found")
    assert database_state(world.app) == before
