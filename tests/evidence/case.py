"""A report with a full history, exported as a case file, and ways to alter one."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable
from typing import Any

import orjson

from server.evidence.casefile import export
from tests.world import World, incident

PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF evidence photo"


def eventful_report(world: World) -> str:
    """A signed creation with a photo, an unsigned concurrent edit, a resolution, a review."""
    signer = world.signing_device("ofc.nnk.1")
    legacy = world.devices["ofc.nnk.2"]
    sha = hashlib.sha256(PHOTO).hexdigest()
    put = world.client.put(
        f"/api/v1/blobs/{sha}", data=PHOTO, content_type="image/jpeg", headers=signer.headers
    )
    assert put.status_code == 201, put.get_json()
    fields = incident(**{f"attachments.{sha}": {"mime": "image/jpeg", "bytes": len(PHOTO)}})
    report_id, _ = signer.create(fields)
    legacy.push(legacy.op(report_id, {"narrative": "B's account"}, base_rev=1))
    (lost,) = signer.push(signer.op(report_id, {"narrative": "A's account"}, base_rev=1))
    assert lost["status"] == "conflict", lost
    commander = world.token("cmd.nnk")
    resolved = world.client.post(
        f"/api/v1/conflicts/{lost['conflicts'][0]['id']}/resolve",
        json={"choose": "lost"},
        headers=commander,
    )
    assert resolved.status_code == 200, resolved.get_json()
    reviewed = world.client.post(
        f"/api/v1/reports/{report_id}/review",
        json={"status": "approved", "rev": resolved.get_json()["report"]["rev"]},
        headers=commander,
    )
    assert reviewed.status_code == 200, reviewed.get_json()
    signer.push(signer.op(report_id, {"title": "Signed after review"}, base_rev=5))
    return report_id


def export_case(world: World, report_id: str) -> bytes:
    """The case file of ``report_id``, as the server writes it."""
    with world.app.app_context():
        return export(report_id, "test").data


def rewrite(
    data: bytes,
    case: Callable[[dict[str, Any]], None] | None = None,
    files: Callable[[dict[str, bytes]], None] | None = None,
) -> bytes:
    """The case file with ``case.json`` and/or its other members changed in place."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    if case is not None:
        parsed = orjson.loads(members["case.json"])
        case(parsed)
        members["case.json"] = orjson.dumps(parsed, option=orjson.OPT_INDENT_2)
    if files is not None:
        files(members)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    return out.getvalue()
