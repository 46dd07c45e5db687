"""Push: creation, merge rules, idempotency, scope and validation over HTTP."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from server.infra.db import db
from server.infra.models import OpRecord, Report, ReportRevision
from sync import hlc as H
from tests.world import World, incident, new_id


def _rows(app: Flask) -> tuple[int, int, int]:
    """Reports, revisions and op records in the database."""
    with app.app_context():
        return tuple(
            db.session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Report, ReportRevision, OpRecord)
        )


def test_create_applies_and_fills_server_fields(world: World) -> None:
    """A creation is revision 1, with post, author and review filled in by the server."""
    dev = world.devices["ofc.nnk.1"]
    report_id, result = dev.create()
    assert result["status"] == "applied" and result["rev"] == 1 and result["replayed"] is False
    doc = world.report(report_id)["report"]
    assert doc["post"] == "NNK" and doc["author"] == "ofc.nnk.1"
    assert doc["device_id"] == dev.device_id and doc["rev"] == 1
    assert doc["review"] == {"status": "submitted", "note": None, "by": None, "at": None}
    assert doc["persons"]["p1"]["age"] == 16


def test_replayed_batch_changes_nothing_and_returns_same_revs(world: World) -> None:
    """Sending the same batch twice answers the original results with replayed: true."""
    dev = world.devices["ofc.nnk.1"]
    rid = new_id()
    ops = [dev.op(rid, incident()), dev.op(rid, {"title": "Six workers"}, base_rev=1)]
    batch_id = new_id()
    first = dev.push_raw(ops, batch_id).get_json()["results"]
    again = dev.push_raw(ops, batch_id).get_json()["results"]
    assert [r["rev"] for r in first] == [1, 2]
    assert [r["rev"] for r in again] == [1, 2]
    assert all(r["replayed"] for r in again) and not any(r["replayed"] for r in first)
    assert [r["status"] for r in again] == [r["status"] for r in first]
    view = world.report(rid)
    assert view["report"]["rev"] == 2 and len(view["history"]) == 2


def test_duplicate_op_in_one_batch_applies_once(world: World) -> None:
    """The same op twice in one batch is applied once, the second answer is a replay."""
    dev = world.devices["ofc.nnk.1"]
    rid, _ = dev.create()
    op = dev.op(rid, {"title": "Changed"}, base_rev=1)
    first, second = dev.push(op, op)
    assert first["rev"] == 2 and second == dict(first, replayed=True)
    assert world.report(rid)["report"]["rev"] == 2


def test_op_id_of_another_device_is_refused_revealing_nothing(world: World) -> None:
    """DUM sending an op_id NNK used: refused on ``op_id``, nothing of NNK's op answered."""
    nnk, dum = world.devices["ofc.nnk.1"], world.devices["ofc.dum.1"]
    nnk_id = new_id()
    nnk_op = nnk.op(nnk_id, incident())
    (original,) = nnk.push(nnk_op)
    nnk_before = world.report(nnk_id)
    rows_before = _rows(world.app)
    dum_id = new_id()
    stolen = dict(dum.op(dum_id, incident(title="DUM's own report")), op_id=nnk_op["op_id"])
    (answer,) = dum.push(stolen)
    assert answer == {
        "op_id": nnk_op["op_id"],
        "report_id": dum_id,
        "status": "rejected",
        "rev": None,
        "replayed": False,
        "hlc_clamped": False,
        "conflicts": [],
        "errors": {
            "op_id": ["was already used by another device; send the change with a new op_id"]
        },
    }
    # Refused the same way when sent again: the refusal is not a stored result.
    assert dum.push(stolen) == [answer]
    assert _rows(world.app) == rows_before
    missing = world.client.get(f"/api/v1/reports/{dum_id}", headers=world.token("cmd.dum"))
    assert missing.status_code == 404
    assert world.report(nnk_id) == nnk_before
    (replay,) = nnk.push(nnk_op)
    assert replay == dict(original, replayed=True)


def test_same_field_same_base_conflict_higher_hlc_wins(world: World) -> None:
    """Two devices edit one field from one base: one conflict, higher HLC kept, loser recorded."""
    a, b = world.devices["ofc.nnk.1"], world.devices["ofc.nnk.2"]
    rid, _ = a.create()
    now = H.now_ms()
    late = b.op(rid, {"narrative": "from B"}, base_rev=1, hlc=b.hlc(now + 1000))
    early = a.op(rid, {"narrative": "from A"}, base_rev=1, hlc=a.hlc(now))
    (r_late,) = b.push(late)
    (r_early,) = a.push(early)
    assert r_late["status"] == "applied" and r_early["status"] == "conflict"
    (conflict,) = r_early["conflicts"]
    assert conflict["field"] == "narrative"
    assert (conflict["kept"], conflict["lost"]) == ("from B", "from A")
    assert (conflict["kept_by"], conflict["lost_by"]) == ("ofc.nnk.2", "ofc.nnk.1")
    view = world.report(rid)
    assert view["report"]["narrative"] == "from B"
    assert [c["lost"] for c in view["conflicts"]] == ["from A"]
    assert view["conflicts"][0]["status"] == "open"


def test_conflict_winner_does_not_depend_on_arrival_order(world: World) -> None:
    """When the higher HLC arrives second it still wins, and the first value is kept as lost."""
    a, b = world.devices["ofc.nnk.1"], world.devices["ofc.nnk.2"]
    rid, _ = a.create()
    now = H.now_ms()
    (r_a,) = a.push(a.op(rid, {"narrative": "A"}, base_rev=1, hlc=a.hlc(now)))
    (r_b,) = b.push(b.op(rid, {"narrative": "B"}, base_rev=1, hlc=b.hlc(now + 5)))
    assert r_b["status"] == "conflict"
    assert r_b["conflicts"][0]["kept"] == "B" and r_b["conflicts"][0]["lost"] == "A"
    assert world.report(rid)["report"]["narrative"] == "B"


def test_different_fields_merge_without_conflict(world: World) -> None:
    """Edits of different fields from one base are both applied; the second is 'merged'."""
    a, b = world.devices["ofc.nnk.1"], world.devices["ofc.nnk.2"]
    rid, _ = a.create()
    (r1,) = a.push(a.op(rid, {"route": "Sungai Pancang"}, base_rev=1))
    (r2,) = b.push(b.op(rid, {"narrative": "Seen at dawn"}, base_rev=1))
    assert (r1["status"], r2["status"]) == ("applied", "merged")
    assert r2["conflicts"] == [] and r2["rev"] == 3
    doc = world.report(rid)["report"]
    assert doc["route"] == "Sungai Pancang" and doc["narrative"] == "Seen at dawn"


def test_two_devices_add_different_persons_both_kept(world: World) -> None:
    """Map elements are separate units: two new persons from one base are both kept."""
    a, b = world.devices["ofc.nnk.1"], world.devices["ofc.nnk.2"]
    rid, _ = a.create()
    a.push(a.op(rid, {"persons.p2": {"role": "suspect", "sex": "M", "age": 40}}, base_rev=1))
    (r,) = b.push(b.op(rid, {"persons": {"p3": {"role": "witness"}}}, base_rev=1))
    assert r["status"] == "merged"
    persons = world.report(rid)["report"]["persons"]
    assert set(persons) == {"p1", "p2", "p3"}


def test_null_removes_an_element(world: World) -> None:
    """``persons.<id>: null`` removes that person and nothing else."""
    dev = world.devices["ofc.nnk.1"]
    rid, _ = dev.create(incident(persons={"p1": {"role": "victim"}, "p2": {"role": "witness"}}))
    dev.push(dev.op(rid, {"persons.p1": None}, base_rev=1))
    assert set(world.report(rid)["report"]["persons"]) == {"p2"}


def test_causality_beats_clock(world: World) -> None:
    """A device that had seen revision n wins with a lower HLC: it is causally newer."""
    a, b = world.devices["ofc.nnk.1"], world.devices["ofc.nnk.2"]
    rid, _ = a.create()
    now = H.now_ms()
    (r1,) = a.push(a.op(rid, {"title": "A's title"}, base_rev=1, hlc=a.hlc(now + 30_000)))
    (r2,) = b.push(b.op(rid, {"title": "B after seeing A"}, base_rev=r1["rev"], hlc=b.hlc(now)))
    assert r2["status"] == "applied" and r2["conflicts"] == []
    assert world.report(rid)["report"]["title"] == "B after seeing A"


def test_own_earlier_op_is_not_a_concurrent_edit(world: World) -> None:
    """Two offline ops of one device from the same old base never conflict with each other."""
    a = world.devices["ofc.nnk.1"]
    rid, _ = a.create()
    (r1,) = a.push(a.op(rid, {"narrative": "first"}, base_rev=1))
    (r2,) = a.push(a.op(rid, {"narrative": "second"}, base_rev=1))
    assert r2["status"] == "merged" and r2["conflicts"] == []
    assert world.report(rid)["report"]["narrative"] == "second"


def test_equal_concurrent_values_are_not_a_conflict(world: World) -> None:
    """Two devices writing the same value concurrently agree: no conflict record."""
    a, b = world.devices["ofc.nnk.1"], world.devices["ofc.nnk.2"]
    rid, _ = a.create()
    a.push(a.op(rid, {"route": "Sebuku river"}, base_rev=1))
    (r,) = b.push(b.op(rid, {"route": "Sebuku river"}, base_rev=1))
    assert r["status"] == "merged" and r["conflicts"] == []
    assert world.report(rid)["conflicts"] == []


def test_base_rev_null_on_existing_report_is_concurrent_edit(world: World) -> None:
    """``base_rev: null`` for an id that exists is an edit from revision 0."""
    a, b = world.devices["ofc.nnk.1"], world.devices["ofc.nnk.2"]
    rid, _ = a.create()
    (r,) = b.push(b.op(rid, incident(title="Other title")))
    assert r["status"] == "conflict"
    assert {c["field"] for c in r["conflicts"]} == {"title"}


def test_edit_of_approved_report_returns_to_submitted(world: World) -> None:
    """Rule 4: content changed after approval goes back to 'submitted'."""
    dev = world.devices["ofc.nnk.1"]
    rid, _ = dev.create()
    headers = world.token("cmd.nnk")
    resp = world.client.post(
        f"/api/v1/reports/{rid}/review",
        headers=headers,
        json={"status": "approved", "note": None, "rev": 1},
    )
    assert resp.status_code == 200 and resp.get_json()["report"]["review"]["status"] == "approved"
    (r,) = dev.push(dev.op(rid, {"narrative": "more detail"}, base_rev=2))
    assert r["status"] == "applied" and r["rev"] == 3
    assert world.report(rid)["report"]["review"]["status"] == "submitted"


def test_far_future_hlc_is_clamped_not_rejected(world: World) -> None:
    """A device clock days ahead is clamped to server time and the op still applies."""
    a, b = world.devices["ofc.nnk.1"], world.devices["ofc.nnk.2"]
    rid, _ = a.create()
    future = str(H.HLC(H.now_ms() + 3 * 86_400_000, 0, a.device_id))
    (r1,) = a.push(a.op(rid, {"narrative": "from the future"}, base_rev=1, hlc=future))
    assert r1["status"] == "applied" and r1["hlc_clamped"] is True
    (r2,) = b.push(
        b.op(rid, {"narrative": "a minute later"}, base_rev=1, hlc=b.hlc(H.now_ms() + 59_000))
    )
    assert r2["status"] == "conflict" and r2["hlc_clamped"] is False
    assert world.report(rid)["report"]["narrative"] == "a minute later"


def test_hlc_in_other_digits_is_rejected_not_a_winner(world: World) -> None:
    """An HLC written in non-ASCII digits is refused.

    Before, it was accepted: ``int`` reads it as the epoch (never clamped),
    while as a string it sorts after every real clock, so it won every
    concurrent edit for ever.
    """
    a, b = world.devices["ofc.nnk.1"], world.devices["ofc.nnk.2"]
    rid, _ = a.create()
    forged = "\u0660" * 16 + "-00000-" + b.device_id
    (r1,) = b.push(b.op(rid, {"narrative": "forged clock"}, base_rev=1, hlc=forged))
    assert r1["status"] == "rejected" and "hlc" in r1["errors"]
    (r2,) = a.push(a.op(rid, {"narrative": "real clock"}, base_rev=1))
    assert r2["status"] == "applied" and r2["conflicts"] == []
    assert world.report(rid)["report"]["narrative"] == "real clock"


def test_foreign_post_report_refused_and_unchanged(world: World) -> None:
    """A device of DUM cannot touch an NNK report; refused the same way as a missing one."""
    nnk, dum = world.devices["ofc.nnk.1"], world.devices["ofc.dum.1"]
    rid, _ = nnk.create()
    (r,) = dum.push(dum.op(rid, {"title": "hijack"}, base_rev=1))
    (missing,) = dum.push(dum.op(new_id(), {"title": "x"}, base_rev=1))
    assert r["status"] == "rejected" and r["errors"] == missing["errors"]
    assert "report_id" in r["errors"]
    assert world.report(rid)["report"]["title"] != "hijack"
    assert world.report(rid)["report"]["rev"] == 1


def test_create_with_other_post_refused(world: World) -> None:
    """A device may only create reports of its own post."""
    dev = world.devices["ofc.nnk.1"]
    (r,) = dev.push(dev.op(new_id(), incident(post="DUM")))
    assert r["status"] == "rejected" and "post" in r["errors"]


@pytest.mark.parametrize(
    "field", ["author", "rev", "review", "received_at", "device_id", "created_at"]
)
def test_server_owned_field_refused_whole_op(world: World, field: str) -> None:
    """Setting a server-owned field rejects the op with an error on that field; nothing stored."""
    dev = world.devices["ofc.nnk.1"]
    rid, _ = dev.create()
    (r,) = dev.push(dev.op(rid, {"title": "ok", field: "x"}, base_rev=1))
    assert r["status"] == "rejected" and field in r["errors"]
    assert world.report(rid)["report"]["title"] == incident()["title"]


def test_bad_lat_is_field_error_and_nothing_stored(world: World) -> None:
    """lat 91 → rejected with ``location.lat`` in plain words; the report does not exist."""
    dev = world.devices["ofc.nnk.1"]
    rid = new_id()
    (r,) = dev.push(dev.op(rid, incident(location={"lat": 91, "lon": 117.0})))
    assert r["status"] == "rejected"
    assert r["errors"] == {"location.lat": ["must be between -90 and 90"]}
    headers = world.token("cmd.nnk")
    assert world.client.get(f"/api/v1/reports/{rid}", headers=headers).status_code == 404


@pytest.mark.parametrize(
    ("fields", "error_key"),
    [
        ({"kind": "incident", "occurred_at": "2026-11-20T03:15:00+08:00"}, "title"),
        ({"kind": "patrol", "occurred_at": "2026-11-20T03:15:00+08:00", "title": "p"}, "route"),
        (
            {
                "kind": "passport_deferral",
                "occurred_at": "2026-11-20T03:15:00+08:00",
                "title": "d",
                "persons": {"a": {"role": "applicant"}},
            },
            "destination_country",
        ),
        ({"kind": "weird", "occurred_at": "2026-11-20T03:15:00+08:00", "title": "w"}, "kind"),
        ({"kind": "outreach", "occurred_at": "yesterday", "title": "o"}, "occurred_at"),
    ],
)
def test_creation_validation(world: World, fields: dict, error_key: str) -> None:
    """Per-kind required fields and value checks on creation."""
    dev = world.devices["ofc.nnk.1"]
    (r,) = dev.push(dev.op(new_id(), fields))
    assert r["status"] == "rejected" and error_key in r["errors"], r["errors"]


@pytest.mark.parametrize(
    ("change", "error_key"),
    [
        ({"fields": {}}, "fields"),
        ({"fields": {"colour": "red"}}, "colour"),
        ({"base_rev": 9}, "base_rev"),
        ({"hlc": "yesterday"}, "hlc"),
        ({"report_id": "not-a-uuid"}, "report_id"),
        ({"fields": {"post": "DUM"}}, "post"),
    ],
)
def test_bad_edits_rejected_with_reasons(world: World, change: dict, error_key: str) -> None:
    """Empty fields, unknown fields, a future base_rev, bad HLC or id → rejected op."""
    dev = world.devices["ofc.nnk.1"]
    rid, _ = dev.create()
    op = dev.op(rid, {"title": "new"}, base_rev=1) | change
    (r,) = dev.push(op)
    assert r["status"] == "rejected" and error_key in r["errors"], r["errors"]
    assert world.report(rid)["report"]["rev"] == 1


def test_batch_partly_applied_each_op_has_result(world: World) -> None:
    """Ops are applied in order; a bad op does not stop the good ones."""
    dev = world.devices["ofc.nnk.1"]
    good1, bad, good2 = new_id(), new_id(), new_id()
    results = dev.push(
        dev.op(good1, incident()), dev.op(bad, incident(title="")), dev.op(good2, incident())
    )
    assert [r["status"] for r in results] == ["applied", "rejected", "applied"]
    assert [r["report_id"] for r in results] == [good1, bad, good2]


def test_retract_needs_reason(world: World) -> None:
    """Reports are never deleted; a retraction without a reason is refused."""
    dev = world.devices["ofc.nnk.1"]
    rid, _ = dev.create()
    (r,) = dev.push(dev.op(rid, {"retracted": True}, base_rev=1))
    assert r["status"] == "rejected" and "retract_reason" in r["errors"]
    (ok,) = dev.push(dev.op(rid, {"retracted": True, "retract_reason": "duplicate"}, base_rev=1))
    assert ok["status"] == "applied"
    assert world.report(rid)["report"]["retracted"] is True
