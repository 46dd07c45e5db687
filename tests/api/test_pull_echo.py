"""Echo-free pull (``skip_echo=1``): only a device's own clean op is not sent back to it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from server.infra.db import db
from server.infra.models import Counter, Device, Report
from server.reports import store as report_store
from server.reports.pull import encode_cursor
from sync import document
from sync.units import apply_units, expand
from tests.world import DeviceAPI, World, incident


def ids(changes: list[dict[str, Any]]) -> list[str]:
    """The report ids of pull changes."""
    return [c["report"]["id"] if "report" in c else c["report_id"] for c in changes]


def server_doc(world: World, report_id: str) -> dict[str, Any]:
    """The report as the server holds it now."""
    resp = world.client.get(f"/api/v1/reports/{report_id}", headers=world.token("cmd.nnk"))
    assert resp.status_code == 200
    return resp.get_json()["report"]


def built(acked: dict[str, Any], fields: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    """What a device builds from its copy, its applied op and the op's ``server_fields``."""
    own = {k: acked.get(k) for k in document.DEVICE_ORDER if acked.get(k) is not None}
    apply_units(own, expand(fields).items())
    return document.full({**own, **result["server_fields"], "id": result["report_id"]})


def review(world: World, report_id: str, rev: int, status: str = "approved") -> None:
    """A commander's decision on the report at ``rev``."""
    resp = world.client.post(
        f"/api/v1/reports/{report_id}/review",
        headers=world.token("cmd.nnk"),
        json={"status": status, "note": "checked", "rev": rev},
    )
    assert resp.status_code == 200, resp.get_json()


def test_own_clean_ops_are_left_out_for_that_device_only(world: World) -> None:
    """Creations and an edit the device made cleanly are not sent back to it; others get them."""
    a, b = world.devices["ofc.nnk.1"], world.devices["ofc.nnk.2"]
    _, cursor = a.pull_all(skip_echo=True)
    made = [a.create()[0] for _ in range(3)]
    (edited,) = a.push(a.op(made[0], {"route": "Sebuku river"}, base_rev=1))
    assert edited["status"] == "applied"
    assert a.pull_all(cursor, skip_echo=True)[0] == []
    assert ids(a.pull_all(cursor)[0]) == made[1:] + made[:1]
    assert ids(b.pull_all(skip_echo=True)[0]) == made[1:] + made[:1]


def test_the_push_result_rebuilds_the_servers_document(world: World) -> None:
    """Copy + op units + ``server_fields`` is exactly the server's document, also after approval."""
    a = world.devices["ofc.nnk.1"]
    fields = incident()
    rid, created = a.create(fields)
    assert created["status"] == "applied"
    copy = built({}, dict(fields, post="NNK"), created)
    assert copy == server_doc(world, rid)
    review(world, rid, 1)
    (approved,) = a.pull_all(skip_echo=True)[0]
    copy = document.full(approved["report"])
    edit = {"title": "Six workers crossing at night", "persons.p2": {"role": "suspect"}}
    (result,) = a.push(a.op(rid, edit, base_rev=2))
    assert result["status"] == "applied"
    # Rule 4: content changed after approval goes back for review, and the
    # result says so (the device could not know it otherwise).
    assert result["server_fields"]["review"]["status"] == "submitted"
    assert built(copy, edit, result) == server_doc(world, rid)


def test_merged_conflicting_and_foreign_changes_come_back(world: World) -> None:
    """Only the device's own clean op is left out: merges, conflicts, others' edits return."""
    a, b = world.devices["ofc.nnk.1"], world.devices["ofc.nnk.2"]
    merged_id, conflict_id, foreign_id = (a.create()[0] for _ in range(3))
    _, cursor = a.pull_all(skip_echo=True)
    b.pull_all()
    b.push(b.op(merged_id, {"route": "B's route"}, base_rev=1))
    b.push(b.op(conflict_id, {"title": "B's title"}, base_rev=1))
    b.push(b.op(foreign_id, {"narrative": "B was here"}, base_rev=1))
    (m,) = a.push(a.op(merged_id, {"narrative": "A's narrative"}, base_rev=1))
    (c,) = a.push(a.op(conflict_id, {"title": "A's title"}, base_rev=1))
    assert (m["status"], c["status"]) == ("merged", "conflict")
    assert "server_fields" not in m and "server_fields" not in c
    changes, _ = a.pull_all(cursor, skip_echo=True)
    assert sorted(ids(changes)) == sorted([merged_id, conflict_id, foreign_id])
    for change in changes:
        assert change["report"] == server_doc(world, change["report"]["id"])
    (entry,) = [ch for ch in changes if ch["report"]["id"] == conflict_id]
    assert [x["field"] for x in entry["open_conflicts"]] == ["title"]


def test_a_later_review_or_edit_by_others_ends_the_echo(world: World) -> None:
    """After the device's clean op, a review or another device's write makes the report news."""
    a, b = world.devices["ofc.nnk.1"], world.devices["ofc.nnk.2"]
    reviewed, touched = a.create()[0], a.create()[0]
    _, cursor = a.pull_all(skip_echo=True)
    assert a.pull_all(cursor, skip_echo=True)[0] == []
    review(world, reviewed, 1, "needs_info")
    b.push(b.op(touched, {"route": "Sebuku river"}, base_rev=1))
    changes, _ = a.pull_all(cursor, skip_echo=True)
    assert sorted(ids(changes)) == sorted([reviewed, touched])
    assert {ch["report"]["rev"] for ch in changes} == {2}


def test_an_op_merged_in_the_same_batch_ends_the_echo(world: World) -> None:
    """A creation applied cleanly then an edit merged in the same batch: the report comes back."""
    a = world.devices["ofc.nnk.1"]
    _, cursor = a.pull_all(skip_echo=True)
    rid = "01933b3c-0000-7000-8000-00000000e001"
    create, edit = a.op(rid, incident()), a.op(rid, {"route": "same batch"}, base_rev=None)
    first, second = a.push(create, edit)
    assert (first["status"], second["status"]) == ("applied", "merged")
    changes, _ = a.pull_all(cursor, skip_echo=True)
    assert ids(changes) == [rid] and changes[0]["report"]["route"] == "same batch"


def test_a_replay_carries_server_fields_while_they_hold(world: World) -> None:
    """A resent op replays with the same ``server_fields``; none once the report moved on."""
    a, b = world.devices["ofc.nnk.1"], world.devices["ofc.nnk.2"]
    rid = "01933b3c-0000-7000-8000-00000000e002"
    op = a.op(rid, incident())
    (first,) = a.push(op)
    (again,) = a.push(op)
    assert again["replayed"] and again["server_fields"] == first["server_fields"]
    b.push(b.op(rid, {"route": "moved on"}, base_rev=1))
    (later,) = a.push(op)
    assert later["replayed"] and "server_fields" not in later and later["rev"] == 1


def test_a_last_page_moves_the_cursor_past_skipped_echoes(world: World) -> None:
    """The cursor of a last page is the server's top, so skipped echoes are never scanned again."""
    a = world.devices["ofc.nnk.1"]
    for _ in range(4):
        a.create()
    changes, cursor = a.pull_all(limit=2, skip_echo=True)
    with world.app.app_context():
        top = db.session.execute(select(Counter.value).where(Counter.name == "seq")).scalar()
    assert changes == [] and cursor == encode_cursor(top)


def test_bad_skip_echo_is_refused_and_changes_nothing(world: World) -> None:
    """``skip_echo`` other than 0 or 1 is a 400 problem naming it; the pull is not recorded."""
    a: DeviceAPI = world.devices["ofc.nnk.1"]
    a.create()

    def state() -> tuple[Any, ...]:
        with world.app.app_context():
            pulled = db.session.execute(
                select(Device.last_pull_at).where(Device.id == a.device_id)
            ).scalar()
            return pulled, db.session.execute(select(func.count()).select_from(Report)).scalar()

    before = state()
    for bad in ("yes", "2", ""):
        resp = world.client.get(
            "/api/v1/sync/pull", query_string={"skip_echo": bad}, headers=a.headers
        )
        assert resp.status_code == 400 and resp.mimetype == "application/problem+json"
        body = resp.get_json()
        assert body["type"] == "urn:patroli:problem:validation-failed"
        assert body["errors"] == {"skip_echo": ["must be 0 or 1"]}
    assert state() == before


def test_a_write_that_knows_nothing_of_echoes_still_ends_one(world: World) -> None:
    """A writer that only moves the report's seq (as every committed change does) makes it news."""
    a = world.devices["ofc.nnk.1"]
    rid, _ = a.create()
    _, cursor = a.pull_all(skip_echo=True)
    with world.app.app_context():
        with db.engine.begin() as conn:
            (seq,) = report_store.allocate_seqs(conn, 1)
            conn.execute(update(Report).where(Report.id == rid).values(seq=seq))
    assert ids(a.pull_all(cursor, skip_echo=True)[0]) == [rid]
