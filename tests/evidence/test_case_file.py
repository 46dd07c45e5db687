"""Case files: exported by the server, verified offline, and every kind of tampering named."""

from __future__ import annotations

import io
from typing import Any

import orjson
import pytest

from server.evidence import checkpoints, keys
from server.infra.transactions import write_connection
from sync import casefile, chain, signing
from tests.evidence.case import PHOTO, eventful_report, export_case, rewrite
from tests.world import World


def _verify(data: bytes) -> casefile.Verified:
    return casefile.verify(io.BytesIO(data))


def _fails(data: bytes) -> str:
    with pytest.raises(casefile.CaseFileError) as caught:
        _verify(data)
    return str(caught.value)


@pytest.fixture
def case_data(world: World) -> bytes:
    return export_case(world, eventful_report(world))


def test_an_exported_case_file_verifies(world: World, case_data: bytes) -> None:
    result = _verify(case_data)
    assert result.revisions == 6 and result.attachments == 1
    case = orjson.loads(_member(case_data))
    actions = [r["action"] for r in case["revisions"]]
    assert actions == ["create", "push", "push", "resolve", "review", "push"]
    signed = [r["rev"] for r in case["revisions"] if r["signature"]]
    # ofc.nnk.2's device predates signing; reviews and resolutions are the server's.
    assert signed == [1, 3, 6]
    (conflict,) = case["conflicts"]
    assert conflict["status"] == "resolved" and conflict["resolved_by"] == "cmd.nnk"
    assert conflict["resolved_rev"] == 4 and conflict["resolved_at"]


def _member(data: bytes, name: str = "case.json") -> bytes:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name)


def test_the_summary_is_indonesian_and_names_the_history(case_data: bytes) -> None:
    html = _member(case_data, "ringkasan.html").decode()
    assert "Riwayat perubahan" in html and "bertanda tangan" in html
    assert "penyelesaian konflik" in html and "keputusan peninjauan" in html
    assert "review.status = approved" in html and "diselesaikan oleh cmd.nnk" in html


def _flip_photo(members: dict[str, bytes]) -> None:
    (name,) = [n for n in members if n.startswith("attachments/")]
    body = bytearray(members[name])
    body[-1] ^= 0x01
    members[name] = bytes(body)


def _drop_revision(case: dict[str, Any], rev: int) -> None:
    case["revisions"] = [r for r in case["revisions"] if r["rev"] != rev]


def _swap(case: dict[str, Any]) -> None:
    r = case["revisions"]
    r[1], r[2] = r[2], r[1]


def _insert(case: dict[str, Any]) -> None:
    extra = dict(case["revisions"][1], at="2026-01-01T00:00:00.000000Z")
    case["revisions"].insert(2, extra)


def _edit_field(case: dict[str, Any]) -> None:
    case["revisions"][1]["changes"]["narrative"] = "someone else's account"


def _edit_signed_op(case: dict[str, Any]) -> None:
    case["revisions"][0]["op"]["fields"]["title"] = "not what the officer wrote"


def _rehash_from(case: dict[str, Any], start: int) -> None:
    prev = case["revisions"][start - 1]["hash"] if start else None
    for r in case["revisions"][start:]:
        r["prev_hash"] = prev
        r["hash"] = prev = chain.revision_hash(r, prev)


def _edit_and_rehash(case: dict[str, Any]) -> None:
    """A forger who edits a revision and recomputes every hash after it."""
    case["revisions"][1]["changes"]["narrative"] = "forged"
    _rehash_from(case, 1)


def _foreign_device_key(case: dict[str, Any]) -> None:
    (device_id,) = [r["device_id"] for r in case["revisions"] if r["signature"]][:1]
    case["devices"][device_id]["public_key"] = signing.public_key_text(signing.new_private_key())


def _resign_with_own_key(case: dict[str, Any]) -> None:
    """A forger who edits a signed op, re-signs the device's ops with a key of their own
    (put in place of the device's) and rehashes the chain."""
    key = signing.new_private_key()
    first = case["revisions"][0]
    first["op"]["fields"]["title"] = "forged"
    for r in case["revisions"]:
        if r["device_id"] == first["device_id"] and r["signature"]:
            r["signature"] = signing.sign(key, signing.canonical(r["op"]))
    case["devices"][first["device_id"]]["public_key"] = signing.public_key_text(key)
    _rehash_from(case, 0)


@pytest.mark.parametrize(
    ("case_change", "files_change", "expected"),
    [
        (None, _flip_photo, "attachment {sha} does not match its hash"),
        (
            None,
            lambda m: m.pop(next(n for n in m if n.startswith("attachments/"))),
            "attachment {sha} is missing",
        ),
        (_edit_field, None, "revision 2: its content does not match its hash"),
        (_edit_signed_op, None, "revision 1: signature invalid"),
        (lambda c: _drop_revision(c, 3), None, "revision 3: missing or out of order"),
        (lambda c: _drop_revision(c, 6), None, "the history ends at revision 5"),
        (_swap, None, "revision 2: missing or out of order"),
        (_insert, None, "revision 3: missing or out of order"),
        (_edit_and_rehash, None, "revision 2: not in checkpoint"),
        (_foreign_device_key, None, "revision 1: signature invalid"),
        (_resign_with_own_key, None, "revision 1: not in checkpoint"),
        (
            lambda c: c["conflicts"][0].update(lost="edited"),
            None,
            "the server's signature of case.json is invalid",
        ),
    ],
)
def test_tampering_is_named(
    case_data: bytes, case_change: Any, files_change: Any, expected: str
) -> None:
    sha = next(iter(orjson.loads(_member(case_data))["report"]["attachments"]))
    message = _fails(rewrite(case_data, case=case_change, files=files_change))
    assert message.startswith(expected.format(sha=sha[:4] + "…")), message


def test_a_checkpoint_of_another_period_does_not_cover_the_report(world: World) -> None:
    report_id = eventful_report(world)
    data = export_case(world, report_id)
    # Another report, checkpointed later: a genuine, validly signed checkpoint.
    other = world.signing_device("ofc.nnk.3").create()[0]
    other_case = orjson.loads(_member(export_case(world, other)))
    (foreign,) = other_case["checkpoints"]

    def swap(case: dict[str, Any]) -> None:
        foreign_copy = dict(foreign, inclusions=case["checkpoints"][-1]["inclusions"])
        case["checkpoints"][-1] = foreign_copy

    assert "not in checkpoint" in _fails(rewrite(data, case=swap))


def test_a_checkpoint_signed_by_a_key_not_the_servers_is_refused(case_data: bytes) -> None:
    def forge(case: dict[str, Any]) -> None:
        case["checkpoints"][0]["signature"] = signing.sign(
            signing.new_private_key(), chain.checkpoint_statement(case["checkpoints"][0])
        )

    assert _fails(rewrite(case_data, case=forge)).startswith("checkpoint 1: signature invalid")


def test_key_rotation_keeps_old_checkpoints_verifiable(world: World) -> None:
    report_id = eventful_report(world)
    with world.app.app_context():
        with write_connection() as conn:
            first = checkpoints.make(conn)
        retired, new = keys.rotate()
    assert retired == first["key_id"] and new != retired
    data = export_case(world, report_id)
    case = orjson.loads(_member(data))
    assert [c["key_id"] for c in case["checkpoints"]] == [retired]
    assert {k["key_id"] for k in case["server_keys"]} >= {retired, new}
    assert _verify(data).server_keys == sorted({retired, new})
    meta = world.client.get("/api/v1/meta").get_json()
    assert meta["evidence_key"]["key_id"] == new


def test_attachment_bytes_are_exported_as_stored(case_data: bytes) -> None:
    case = orjson.loads(_member(case_data))
    (sha,) = case["report"]["attachments"]
    assert _member(case_data, f"attachments/{sha}") == PHOTO
