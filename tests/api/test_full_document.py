"""Every report document served carries every field of DESIGN §2 (issue 11, item 8)."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from server.infra.db import db
from server.infra.models import Report
from server.infra.transactions import write_connection
from tests.documents import BARE_PATROL, BARE_PATROL_FIELDS, KEYS, patrols
from tests.world import World, incident, new_id


def _device_fields(doc: dict[str, Any]) -> dict[str, Any]:
    assert list(doc) == KEYS
    return {k: doc[k] for k in KEYS[1 : KEYS.index("author")]}


def _pulled(world: World, username: str) -> dict[str, dict[str, Any]]:
    changes, _ = world.devices[username].pull_all()
    return {c["report"]["id"]: c["report"] for c in changes if "report" in c}


def test_bare_report_comes_back_with_every_field(world: World) -> None:
    """A patrol with no optional field: pull, GET and a review answer all carry every field."""
    dev = world.devices["ofc.nnk.1"]
    rid, _ = dev.create(BARE_PATROL)
    pulled = _pulled(world, "ofc.nnk.2")[rid]
    got = world.report(rid)["report"]
    assert _device_fields(pulled) == BARE_PATROL_FIELDS
    assert got == pulled
    answer = world.client.post(
        f"/api/v1/reports/{rid}/review",
        json={"status": "needs_info", "note": "Which side of the river?", "rev": 1},
        headers=world.token("cmd.nnk"),
    )
    assert answer.status_code == 200, answer.get_json()
    reviewed = answer.get_json()["report"]
    assert _device_fields(reviewed) == BARE_PATROL_FIELDS
    assert reviewed["review"]["status"] == "needs_info" and reviewed["rev"] == 2


def test_empty_persons_map_is_served_as_empty_map(world: World) -> None:
    """``"persons": {}`` at creation: ``persons``, ``actions``, ``attachments`` are ``{}``."""
    dev = world.devices["ofc.nnk.1"]
    rid, _ = dev.create(incident(persons={}))
    for doc in (_pulled(world, "ofc.nnk.1")[rid], world.report(rid)["report"]):
        fields = _device_fields(doc)
        assert fields["persons"] == {} and fields["actions"] == {} and fields["attachments"] == {}
        assert fields["vehicles"] == {}
        assert fields["retracted"] is False and fields["retract_reason"] is None
        assert fields["ended_at"] is None and fields["audience_size"] is None
        assert fields["route"] == incident()["route"]


def test_resolution_answer_carries_every_field(world: World) -> None:
    """A conflict on a bare patrol, resolved: the answer is the full document."""
    a, b = world.devices["ofc.nnk.1"], world.devices["ofc.nnk.2"]
    rid, _ = a.create(BARE_PATROL)
    b.push(b.op(rid, {"narrative": "B's account"}, base_rev=1))
    (pushed,) = a.push(a.op(rid, {"narrative": "A's account"}, base_rev=1))
    (conflict,) = pushed["conflicts"]
    answer = world.client.post(
        f"/api/v1/conflicts/{conflict['id']}/resolve",
        json={"choose": "lost"},
        headers=world.token("cmd.nnk"),
    )
    assert answer.status_code == 200, answer.get_json()
    resolved = answer.get_json()["report"]
    assert _device_fields(resolved) == dict(BARE_PATROL_FIELDS, narrative=conflict["lost"])


def test_document_stored_by_an_older_version_is_served_full(world: World) -> None:
    """A row holding only the fields ever sent (as before) is made full by pull and GET."""
    dev = world.devices["ofc.nnk.1"]
    rid, _ = dev.create(BARE_PATROL)
    current = world.report(rid)["report"]
    old_form = {k: v for k, v in current.items() if k == "id" or k not in BARE_PATROL_FIELDS}
    old_form.update(BARE_PATROL, post="NNK")
    with world.app.app_context(), write_connection() as conn:
        conn.execute(
            update(Report.__table__)
            .where(Report.__table__.c.id == rid)
            .values(doc=orjson.dumps(old_form).decode())
        )
    with world.app.app_context():
        assert "persons" not in orjson.loads(db.session.get(Report, rid).doc)
    assert world.report(rid)["report"] == current
    assert _pulled(world, "ofc.nnk.2")[rid] == current
    # The next write stores it full again.
    dev.push(dev.op(rid, {"narrative": "Quiet night"}, base_rev=1))
    with world.app.app_context():
        stored = orjson.loads(db.session.get(Report, rid).doc)
    assert _device_fields(stored) == dict(BARE_PATROL_FIELDS, narrative="Quiet night")


def test_every_document_of_a_mixed_pull_has_exactly_the_keys(world: World) -> None:
    """Reports of every kind and shape in one pull: each has exactly the keys, in order."""
    dev = world.devices["ofc.nnk.1"]
    ids = [
        dev.create(incident())[0],
        dev.create(incident(persons={}, modus=None, route=None))[0],
        dev.create(BARE_PATROL)[0],
        dev.create(
            {
                "kind": "outreach",
                "occurred_at": "2026-11-21T09:00:00+08:00",
                "title": "School visit",
                "location": {"lat": 4.1, "lon": 117.6},
                "audience_size": 40,
                "topics": ["safe migration"],
            }
        )[0],
    ]
    retracted = dev.create(BARE_PATROL)[0]
    dev.push(dev.op(retracted, {"retracted": True, "retract_reason": "duplicate"}, base_rev=1))
    pulled = _pulled(world, "ofc.nnk.3")
    assert set(pulled) == {*ids, retracted}
    assert all(list(doc) == KEYS for doc in pulled.values())
    assert pulled[retracted]["retracted"] is True
    assert pulled[retracted]["retract_reason"] == "duplicate"
    assert pulled[ids[3]]["persons"] == {} and pulled[ids[3]]["route"] is None


@given(creations=st.lists(patrols(), min_size=1, max_size=4))
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_served_documents_always_have_exactly_the_keys(
    world: World, creations: list[dict[str, Any]]
) -> None:
    """Random valid patrols pushed: pull and GET serve each with exactly the full key set."""
    dev = world.devices["ofc.nnk.1"]
    ops = [dev.op(new_id(), fields) for fields in creations]
    results = dev.push(*ops)
    assert [r["status"] for r in results] == ["applied"] * len(ops)
    changes, _ = dev.pull_all()
    pulled = {c["report"]["id"]: c["report"] for c in changes if "report" in c}
    for op in ops:
        doc = pulled[op["report_id"]]
        assert list(doc) == KEYS
        assert world.report(op["report_id"])["report"] == doc
