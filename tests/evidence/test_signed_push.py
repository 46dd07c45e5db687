"""Signed ops over the API: enrollment with a key, verification before applying."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from server.infra.db import db
from server.infra.models import Device, EnrollmentCode, ReportRevision
from server.reports import evidence_chain, row_codec
from sync import chain, signing
from tests.hostile.counts import assert_problem, database_state
from tests.world import DeviceAPI, World, incident, new_id


def _revisions(world: World, report_id: str) -> list[ReportRevision]:
    with world.app.app_context():
        return list(
            db.session.execute(
                db.select(ReportRevision)
                .where(ReportRevision.report_id == report_id)
                .order_by(ReportRevision.rev)
            ).scalars()
        )


def _refused(world: World, device: DeviceAPI, change: dict[str, Any]) -> dict[str, Any]:
    """Push one op that must be rejected; nothing but its op record may change."""
    before = database_state(world.app)
    (result,) = device.push(change)
    after = database_state(world.app)
    assert result["status"] == "rejected", result
    assert after["ops"] != before["ops"]
    assert {k: v for k, v in after.items() if k not in ("ops", "devices")} == {
        k: v for k, v in before.items() if k not in ("ops", "devices")
    }
    return result


def test_a_signed_op_is_applied_and_its_signature_kept(world: World) -> None:
    device = world.signing_device("ofc.nnk.1")
    change = device.op(new_id(), incident())
    (result,) = device.push(change)
    assert result["status"] == "applied", result
    (revision,) = _revisions(world, change["report_id"])
    assert revision.signature == change["signature"]
    # Stored without the ids its row already holds (server.reports.row_codec).
    stored = row_codec.decode_op(revision.op, revision.op_id, revision.report_id)
    assert stored == signing.signed_part(change)
    with world.app.app_context():
        key = signing.load_public_key(db.session.get(Device, device.device_id).public_key)
    signing.verify(key, signing.canonical(stored), revision.signature)


def test_signed_ops_chain_over_the_bytes_their_signatures_cover(world: World) -> None:
    # The push hashes each signed op's revision around the canonical bytes its
    # signature check made; the chain read back from the stored rows must hold.
    device = world.signing_device("ofc.nnk.1")
    other = world.devices["ofc.nnk.2"]
    report_id = new_id()
    name = {"name": "Siti Aisyah binti Ahmad", "sex": "F", "age": 16, "role": "victim"}
    device.push(device.op(report_id, incident(persons={"p1": name})))
    other.push(other.op(report_id, {"narrative": "unsigned edit, \u00e9t\u00e9 🚤"}, base_rev=1))
    (edit,) = device.push(
        device.op(report_id, {"location": {"lat": -0.5, "lon": 100.25, "accuracy_m": 7}}, 2)
    )
    assert edit["status"] == "applied", edit
    rows = _revisions(world, report_id)
    assert [r.signature is not None for r in rows] == [True, False, True]
    history = [
        dict(evidence_chain.hashed_view(r.__dict__), prev_hash=r.prev_hash, hash=r.hash)
        for r in rows
    ]
    assert chain.chain_breaks(history) is None


def test_a_tampered_op_is_rejected_on_signature(world: World) -> None:
    device = world.signing_device("ofc.nnk.1")
    change = device.op(new_id(), incident())
    change["fields"]["title"] = "changed after signing"
    result = _refused(world, device, change)
    assert list(result["errors"]) == ["signature"]


def test_an_op_signed_with_another_key_is_rejected(world: World) -> None:
    device = world.signing_device("ofc.nnk.1")
    change = device.op(new_id(), incident())
    change["signature"] = signing.sign_op(signing.new_private_key(), change)
    result = _refused(world, device, change)
    assert "signature" in result["errors"]


def test_an_unsigned_op_from_a_signing_device_is_rejected(world: World) -> None:
    device = world.signing_device("ofc.nnk.1")
    change = device.op(new_id(), incident())
    del change["signature"]
    result = _refused(world, device, change)
    assert result["errors"]["signature"] == ["is required: this device signs its ops"]


@pytest.mark.parametrize("signature", ["not base64!", "", "AAAA", 17])
def test_a_malformed_signature_is_rejected(world: World, signature: Any) -> None:
    device = world.signing_device("ofc.nnk.1")
    change = device.op(new_id(), incident()) | {"signature": signature}
    result = _refused(world, device, change)
    assert "signature" in result["errors"]


def test_a_device_enrolled_without_a_key_keeps_working_unsigned(world: World) -> None:
    device = world.devices["ofc.nnk.1"]
    report_id, result = device.create()
    assert result["status"] == "applied"
    (revision,) = _revisions(world, report_id)
    assert revision.signature is None
    stored = row_codec.decode_op(revision.op, revision.op_id, revision.report_id)
    assert stored["op_id"] == revision.op_id


def test_a_signature_from_a_device_without_a_key_is_rejected(world: World) -> None:
    device = world.devices["ofc.nnk.1"]
    change = device.op(new_id(), incident())
    change["signature"] = signing.sign_op(signing.new_private_key(), change)
    result = _refused(world, device, change)
    assert "signature" in result["errors"]


@pytest.mark.parametrize(
    "public_key",
    [
        "not a key",
        "AAAA",
        # A real key, but on P-384: not an ES256 key.
        signing.public_key_text(ec.generate_private_key(ec.SECP384R1())),
    ],
)
def test_enrollment_with_a_bad_key_is_refused_and_keeps_the_code(
    world: World, public_key: str
) -> None:
    code = world.issue_code("ofc.nnk.2")
    before = database_state(world.app)
    resp = world.client.post(
        "/api/v1/devices/enroll",
        json={"enrollment_code": code, "device_name": "x", "public_key": public_key},
    )
    body = assert_problem(resp, 400, "validation-failed")
    assert "public_key" in body["errors"]
    assert database_state(world.app) == before
    with world.app.app_context():
        assert db.session.query(EnrollmentCode).filter_by(used_at=None).count() >= 1
    # The code still works.
    assert world.enroll(code, "ofc.nnk.2", key=signing.new_private_key()).device_id
