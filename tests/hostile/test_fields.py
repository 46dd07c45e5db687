"""Wrong types in every field of the report document, unknown and server-owned fields."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from server.infra.db import db
from server.infra.models import Report
from sync import hlc as H
from tests.hostile.counts import assert_still_serving, row_counts
from tests.world import World, incident, new_id

# Field -> values of the wrong type (or shape) for it.
WRONG: dict[str, list[Any]] = {
    "post": [7, ["NNK"], {"code": "NNK"}],
    "kind": [1, ["incident"], "bomb"],
    "occurred_at": [1763600000, "yesterday", ["2026-11-20"]],
    "ended_at": [True, "2026-13-45T99:00:00Z"],
    "location": ["4.1,117.6", [4.1, 117.6], {"lat": "4.1", "lon": 117.6}, {"lat": 91, "lon": 0}],
    "route": [12, {"r": 1}],
    "title": [None, 5, "", ["t"]],
    "narrative": [5, {"x": 1}, 1.5],
    "modus": ["fake_job_offer", [1], ["nonsense"]],
    "destination_country": ["Malaysia", 60, "XX"],
    "agencies": ["TNI", [None], ["NASA"]],
    "audience_size": ["12", 1.5, -1, True],
    "topics": ["one", [1]],
    "retracted": ["yes", 1, None],
    "retract_reason": [1, ["r"]],
    "persons": ["victim", ["p1"], {"p1": "victim"}, {"p1": {"role": "boss"}}],
    "persons.p1": ["victim", [1], {"role": "victim", "age": 121}, {"role": "victim", "age": "16"}],
    "actions": [[{"type": "referred"}], {"a1": {"type": 3}}],
    "attachments": [{"abc": {"mime": "image/jpeg", "bytes": 1}}, {"0" * 64: {"mime": 5}}],
}
CASES = [(f, v) for f, values in WRONG.items() for v in values]


@pytest.mark.parametrize(
    ("field", "value"), CASES, ids=[f"{f}-{i}" for i, (f, _) in enumerate(CASES)]
)
def test_wrong_type_rejects_creation(world: World, app: Flask, field: str, value: Any) -> None:
    """A wrong type in any field rejects the op with an error naming that field."""
    dev = world.devices["ofc.nnk.1"]
    fields = incident()
    if "." in field:
        fields.pop(field.split(".")[0])
    fields[field] = value
    before = row_counts(app)
    (result,) = dev.push(dev.op(new_id(), fields))
    assert result["status"] == "rejected", result
    assert any(k == field or k.startswith(field.split(".")[0]) for k in result["errors"]), result
    after = row_counts(app)
    assert (
        after["reports"] == before["reports"]
        and after["report_revisions"] == before["report_revisions"]
    )
    assert_still_serving(world.client)


@pytest.mark.parametrize(("field", "value"), CASES[::3])
def test_wrong_type_in_an_edit_changes_nothing(
    world: World, app: Flask, field: str, value: Any
) -> None:
    """An edit with a wrong type leaves the report at its revision and content."""
    dev = world.devices["ofc.nnk.1"]
    rid, _ = dev.create()
    before = world.report(rid)["report"]
    good = "narrative" if field == "route" else "route"
    (result,) = dev.push(dev.op(rid, {good: "changed", field: value}, base_rev=1))
    assert result["status"] == "rejected"
    assert world.report(rid)["report"] == before


@pytest.mark.parametrize(
    "extra",
    [
        {"zzz": 1},
        {"__proto__": {"admin": True}},
        {"persons.p1.name": "x"},
        {"rev": 99},
        {"author": "cmd.nnk"},
        {"review": {"status": "approved"}},
        {"received_at": "2026-01-01T00:00:00Z"},
        {"device_id": new_id()},
    ],
)
def test_unknown_and_server_owned_fields_rejected(world: World, app: Flask, extra: dict) -> None:
    """Unknown fields and server-owned fields get a field error; nothing is stored."""
    dev = world.devices["ofc.nnk.1"]
    (result,) = dev.push(dev.op(new_id(), incident() | extra))
    assert result["status"] == "rejected" and set(extra) <= set(result["errors"])
    assert row_counts(app)["reports"] == 0


@pytest.mark.parametrize("post", ["DUM", "ZZZ", "nnk", "NNK'--"])
def test_foreign_or_forged_post_rejected(world: World, app: Flask, post: str) -> None:
    """A device may only create reports in its own post."""
    dev = world.devices["ofc.nnk.1"]
    (result,) = dev.push(dev.op(new_id(), incident(post=post)))
    assert result["status"] == "rejected" and "post" in result["errors"]
    assert row_counts(app)["reports"] == 0


def test_edit_of_a_foreign_posts_report_looks_like_an_unknown_one(world: World) -> None:
    """A DUM device editing an NNK report is refused exactly as for a report that does not exist."""
    nnk, dum = world.devices["ofc.nnk.1"], world.devices["ofc.dum.1"]
    rid, _ = nnk.create()
    (foreign,) = dum.push(dum.op(rid, {"route": "hijack"}, base_rev=1))
    (unknown,) = dum.push(dum.op(new_id(), {"route": "hijack"}, base_rev=1))
    assert foreign["status"] == unknown["status"] == "rejected"
    assert foreign["errors"] == unknown["errors"]
    assert world.report(rid)["report"]["route"] != "hijack"


def test_forged_hlc_node_does_not_win_ties(world: World, app: Flask) -> None:
    """An op whose HLC claims another (always-winning) node id is merged under its own id."""
    a, b = world.devices["ofc.nnk.1"], world.devices["ofc.nnk.2"]
    rid, _ = a.create()
    # Both edits later than the creation, on the same millisecond: the tie-break decides.
    ms = H.HLC.parse(a.hlc()).ms + 5_000
    honest = str(H.HLC(ms, 0, a.device_id))
    forged = str(H.HLC(ms, 0, "zzzzzzzz-forged"))
    a.push(a.op(rid, {"narrative": "honest"}, base_rev=1, hlc=honest))
    b.push(b.op(rid, {"narrative": "forged"}, base_rev=1, hlc=forged))
    view = world.report(rid)
    winner = "forged" if b.device_id > a.device_id else "honest"
    assert view["report"]["narrative"] == winner
    (conflict,) = view["conflicts"]
    assert "zzzzzzzz" not in conflict["kept_hlc"] + conflict["lost_hlc"]
    with app.app_context():
        assert db.session.query(Report).count() == 1
