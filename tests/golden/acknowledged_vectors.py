"""Golden cases of the acknowledged copy an applied push leaves (client_sqlite.acknowledged).

Each case is a device holding some reports and outbox ops, one push
answer, and the documents ``applied_documents`` builds from them; the field
app's ``acknowledged.js`` must build the same (tests/js/acknowledged.test.mjs).
Part of ``sync_vectors.json`` (``python -m tests.golden.sync_vectors``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import orjson

from client_sqlite.acknowledged import applied_documents
from client_sqlite.store import Store
from sync import document

PULLED = "0190d2a0-0000-7000-8000-0000000000a1"
CREATED = "0190d2a0-0000-7000-8000-0000000000a2"
SHA = "cd" * 32
REVIEW = {"status": "submitted", "note": None, "by": None, "at": None}
OWNER = {
    "author": "ofc.nnk.1",
    "device_id": "dev-1",
    "created_at": "2026-11-20T01:00:00.000Z",
    "received_at": "2026-11-20T01:00:00.000Z",
}
#: A report as the server served it at revision 3: every kind of field set.
SERVED = {
    "id": PULLED,
    "post": "NNK",
    "kind": "incident",
    "occurred_at": "2026-11-20T03:15:00+08:00",
    "ended_at": None,
    "location": {"lat": 4.1, "lon": 117.6, "accuracy_m": 12, "place": "Sebatik"},
    "route": None,
    "title": "Boat at night",
    "narrative": "five workers",
    "modus": ["fake_job_offer"],
    "destination_country": "MY",
    "agencies": None,
    "audience_size": None,
    "topics": None,
    "persons": {"p1": {"role": "victim", "age": 16}, "p2": {"role": "suspect"}},
    "vehicles": {"v1": {"type": "boat"}},
    "actions": {},
    "attachments": {SHA: {"mime": "image/jpeg", "bytes": 10, "caption": "boat"}},
    "retracted": False,
    "retract_reason": None,
    **OWNER,
    "review": {
        "status": "approved",
        "note": "ok",
        "by": "cmd.nnk",
        "at": "2026-11-20T02:00:00.000Z",
    },
    "rev": 3,
}


def _server_fields(rev: int, review: dict[str, Any] | None = None) -> dict[str, Any]:
    return {**OWNER, "review": review or REVIEW, "rev": rev, "post": "NNK"}


def _applied(op_id: str, report_id: str, rev: int, **extra: Any) -> dict[str, Any]:
    result = {"op_id": op_id, "report_id": report_id, "status": "applied", "rev": rev}
    return {**result, "server_fields": _server_fields(rev), **extra}


EDIT = {
    "title": "Boat at dawn",
    "persons.p2": None,
    "persons.p3": {"role": "witness"},
    "vehicles": {"v2": {"type": "car", "plate": "KB 1"}},
    f"attachments.{SHA}": None,
    "narrative": None,
}
CREATION = {
    "kind": "patrol",
    "title": "Route check",
    "occurred_at": "2026-11-20T05:00:00+08:00",
    "route": "A",
    "post": "NNK",
}


HELD = {PULLED: SERVED, CREATED: None}  # None: created here, the server has no copy
OPS = {
    "e1": {"report_id": PULLED, "base_rev": 3, "fields": EDIT},
    "c1": {"report_id": CREATED, "base_rev": None, "fields": CREATION},
    "c2": {"report_id": CREATED, "base_rev": None, "fields": {"narrative": "later"}},
    "e2": {"report_id": PULLED, "base_rev": 4, "fields": {"actions.a1": {"type": "referred"}}},
    "stale": {"report_id": PULLED, "base_rev": 2, "fields": {"title": "x"}},
    "gone": {
        "report_id": "0190d2a0-0000-7000-8000-0000000000ff",
        "base_rev": 1,
        "fields": {"title": "x"},
    },
}


def _cases() -> list[tuple[str, list[dict[str, Any]]]]:
    """(name, push results) of each case, all against HELD and OPS."""
    reviewed = _server_fields(4, SERVED["review"])
    replay = {"op_id": "e1", "report_id": PULLED, "status": "applied", "rev": 4, "replayed": True}
    return [
        ("an edit with element units", [_applied("e1", PULLED, 4)]),
        ("a creation", [_applied("c1", CREATED, 1)]),
        ("review kept by the server", [_applied("e1", PULLED, 4, server_fields=reviewed)]),
        (
            "two ops of a report in one batch",
            [_applied("e1", PULLED, 4), _applied("e2", PULLED, 5)],
        ),
        (
            "a later creation op has no copy",
            [_applied("c1", CREATED, 1), _applied("c2", CREATED, 2)],
        ),
        ("based on another copy", [_applied("stale", PULLED, 4)]),
        ("not newer", [_applied("e1", PULLED, 3)]),
        ("merged", [_applied("e1", PULLED, 4, status="merged")]),
        ("a replay without server fields", [replay]),
        ("an op no longer in the outbox", [_applied("nope", PULLED, 4)]),
        ("a report no longer held", [_applied("gone", OPS["gone"]["report_id"], 2)]),
    ]


def _store(tmp: Path, held: dict[str, Any], ops: dict[str, Any]) -> Store:
    store = Store(tmp / "device.sqlite3", pin="golden-vectors")
    with store.atomic() as c:
        for report_id, doc in held.items():
            text = orjson.dumps(doc or {"id": report_id}).decode()
            rev = doc["rev"] if doc else None
            c.execute(
                "INSERT INTO reports (id, doc, acked_rev, updated_at) VALUES (?, ?, ?, '')",
                (report_id, text, rev),
            )
        for op_id, op in ops.items():
            c.execute(
                "INSERT INTO outbox (op_id, report_id, base_rev, hlc, fields, created_at) "
                "VALUES (?, ?, ?, 'h', ?, '')",
                (op_id, op["report_id"], op["base_rev"], orjson.dumps(op["fields"]).decode()),
            )
    return store


def acknowledged_vectors() -> dict[str, Any]:
    """The device's copies ({} before the server has one) and ops, per case the
    push results and the documents client_sqlite builds by report id, and the
    order of a full document's keys (the JSON file's keys are sorted)."""
    cases = []
    for name, results in _cases():
        with tempfile.TemporaryDirectory() as tmp:
            store = _store(Path(tmp), HELD, OPS)
            built = applied_documents(store.conn, results)
            store.close()
        cases.append({"name": name, "results": results, "out": built})
    copies = {k: v or {} for k, v in HELD.items()}
    return {"copies": copies, "ops": OPS, "cases": cases, "fields": list(document.FIELDS)}
