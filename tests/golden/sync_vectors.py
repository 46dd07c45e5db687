"""Golden vectors of the sync rules, computed by the Python code itself.

The field app (``server/static/field/js``) re-implements the device side of
the protocol in JavaScript.  These vectors are what keeps both in step:
``python -m tests.golden.sync_vectors`` writes them to ``sync_vectors.json``,
``tests/sync/test_golden_vectors.py`` checks that the file still matches the
Python code, and the Node tests (``tests/js``) check the JavaScript against
the same file.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import orjson

from client_sqlite import editing
from client_sqlite.store import Store
from sync import engine
from sync import hlc as H
from sync import units as U
from tests.golden.acknowledged_vectors import acknowledged_vectors

VECTORS = Path(__file__).with_name("sync_vectors.json")
NODE = "dev-1"
PERSON = {"role": "victim", "sex": "F", "age": 16}
SHA = "ab" * 32


def _hlc(h: H.HLC) -> dict[str, Any]:
    return {"ms": h.ms, "counter": h.counter, "node": h.node, "text": str(h)}


def hlc_vectors() -> dict[str, Any]:
    """tick, receive, parse and server-time cases, including counter overflow."""
    base = H.HLC(1_763_800_000_000, 3, NODE)
    full = H.HLC(1_763_800_000_000, H.MAX_COUNTER, NODE)
    ticks = [
        (None, 1_763_800_000_000),
        (base, 1_763_800_000_500),
        (base, 1_763_800_000_000),
        (base, 1_763_799_999_000),
        (full, 1_763_800_000_000),
    ]
    remote = H.HLC(1_763_800_000_200, 7, "server")
    receives = [
        (None, remote, 1_763_800_000_000),
        (base, remote, 1_763_800_000_000),
        (base, remote, 1_763_800_009_000),
        (H.HLC(remote.ms, 9, NODE), remote, 1_763_800_000_000),
        (H.HLC(remote.ms, 2, NODE), remote, 1_763_800_000_000),
        (H.HLC(remote.ms + 5, 2, NODE), remote, 1_763_800_000_000),
        (None, H.HLC(1_763_800_000_000, 0, "server"), 1_763_800_000_000),
    ]
    valid = ["0001763800000000-00003-dev-1", "0001763800000000-00000-a.b:c_d"]
    invalid = [
        "1763800000000-00003-dev-1",
        "0001763800000000-3-dev-1",
        "x",
        "",
        "0001763800000000-00003-",
    ]
    times = ["2026-11-20T03:15:00.123Z", "2026-01-01T00:00:00.000Z", "2026-11-20T03:15:00.999Z"]
    return {
        "tick": [
            {
                "last": _hlc(last) if last else None,
                "wall": wall,
                "out": _hlc(H.tick(last, NODE, wall)),
            }
            for last, wall in ticks
        ],
        "receive": [
            {
                "last": _hlc(last) if last else None,
                "remote": _hlc(rem),
                "wall": wall,
                "out": _hlc(H.receive(last, rem, NODE, wall)),
            }
            for last, rem, wall in receives
        ],
        "valid": valid,
        "invalid": invalid,
        "parse": [_hlc(H.HLC.parse(v)) for v in valid],
        "server_time": [{"text": t, "ms": H.parse_server_time(t)} for t in times]
        + [{"text": H.format_server_time(ms), "ms": ms} for ms in (0, 1_763_608_500_007)],
        "sorted": sorted(
            [str(h) for h in (base, full, remote, H.HLC(5, 0, "z"), H.HLC(5, 0, "a"))]
        ),
    }


def _expand(fields: dict[str, Any]) -> dict[str, Any]:
    try:
        return {"fields": fields, "units": U.expand(fields)}
    except U.UnitError as exc:
        return {"fields": fields, "errors": exc.errors}


def units_vectors() -> dict[str, Any]:
    """expand (with its refusals), apply and diff of report documents."""
    doc = {
        "kind": "incident",
        "title": "Five workers",
        "persons": {"p1": PERSON, "p2": {"role": "suspect"}},
        "attachments": {SHA: {"mime": "image/jpeg", "bytes": 10}},
        "modus": ["fake_job_offer"],
    }
    edits = [
        {"title": "Six workers", "persons.p2": None, "persons.p3": {"role": "witness"}},
        {"persons": {"p1": {"role": "victim", "age": 17}}, "location": {"lat": 4.1, "lon": 117.6}},
        {"attachments": {SHA: None}, "narrative": "text"},
        {"persons.p9": None},
    ]
    applied = []
    for edit in edits:
        after = U.apply_units(json.loads(json.dumps(doc)), U.expand(edit).items())
        applied.append({"doc": doc, "edit": edit, "out": after, "diff": U.diff(doc, after)})
    return {
        "expand": [
            _expand(f)
            for f in (
                {"title": "x", "persons": {"p1": PERSON, "p2": None}},
                {"persons.p1": None, "actions.a-1": {"type": "referred"}},
                {"rev": 3, "author": "me", "title": "ok"},
                {"nonsense": 1, "title.sub": 2},
                {"persons": [1, 2]},
                {"persons.bad id": {}, "attachments.xyz": {}},
                {"attachments": {SHA: {"mime": "image/png", "bytes": 1}}},
            )
        ],
        "apply": applied,
    }


def _outbox(store: Store) -> list[dict[str, Any]]:
    return [
        {
            "report_id": op["report_id"],
            "base_rev": op["base_rev"],
            "state": op["state"],
            "fields": op["fields"],
        }
        for op in store.outbox()
    ]


def outbox_vectors() -> list[dict[str, Any]]:
    """Outbox steps (create, edit, send, acknowledge, reject), each with the outbox after it."""
    incident = {"title": "Boat at night", "occurred_at": "2026-11-20T03:15:00+08:00"}
    incident["location"] = {"lat": 4.1, "lon": 117.6, "accuracy_m": 12, "place": "Sebatik"}
    patrol = {"title": "Route check", "occurred_at": "2026-11-20T05:00:00+08:00", "route": "A"}
    steps: list[dict[str, Any]] = [
        {"do": "create", "report": "r1", "kind": "incident", "fields": incident},
        {"do": "edit", "report": "r1", "fields": {"narrative": "n1", "persons": {"p1": PERSON}}},
        {"do": "create", "report": "r2", "kind": "patrol", "fields": patrol},
        {"do": "edit", "report": "r1", "fields": {"persons.p1": None, "title": "Boat"}},
        {"do": "send", "count": 2},
        {"do": "edit", "report": "r1", "fields": {"narrative": "n2"}},
        {"do": "edit", "report": "r1", "fields": {"route": "beach"}},
        {"do": "ack", "count": 1, "rev": 1},
        {"do": "reject", "index": 0, "errors": {"route": ["too long"]}},
        {"do": "edit", "report": "r2", "fields": {"route": "B"}},
        {"do": "edit", "report": "r1", "fields": {"title": "Boat with five"}},
        # Everything sent: the next edit must not fold into an op in flight.
        {"do": "send", "count": 10},
        {"do": "edit", "report": "r1", "fields": {"narrative": "n3"}},
    ]
    ids = {
        "r1": "0190d2a0-0000-7000-8000-000000000001",
        "r2": "0190d2a0-0000-7000-8000-000000000002",
    }
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "device.sqlite3", pin="golden-vectors")
        with store.atomic() as c:
            c.execute("UPDATE device SET device_id=?, post=? WHERE id=1", (NODE, "NNK"))
        for step in steps:
            _run_step(store, step, ids)
            out.append({"step": step, "outbox": _outbox(store)})
        store.close()
    return [{"ids": ids, "steps": out}]


def _run_step(store: Store, step: dict[str, Any], ids: dict[str, str]) -> None:
    do = step["do"]
    if do == "create":
        editing.create(store, step["kind"], step["fields"], report_id=ids[step["report"]])
    elif do == "edit":
        editing.edit(store, ids[step["report"]], step["fields"])
    elif do == "send":
        store.mark_in_flight([op["op_id"] for op in store.pending_ops(step["count"])])
    elif do == "ack":
        ops = store.pending_ops(step["count"])
        results = [
            {
                "op_id": op["op_id"],
                "report_id": op["report_id"],
                "status": "applied",
                "rev": step["rev"],
            }
            for op in ops
        ]
        store.apply_push_results(results)
        # As a pull would: the acknowledged revision becomes the base of later ops.
        with store.atomic() as c:
            c.executemany(
                "UPDATE reports SET acked_rev=? WHERE id=?",
                [(step["rev"], op["report_id"]) for op in ops],
            )
    elif do == "reject":
        op = store.outbox()[step["index"]]
        store.apply_push_results(
            [
                {
                    "op_id": op["op_id"],
                    "report_id": op["report_id"],
                    "status": "rejected",
                    "errors": step["errors"],
                }
            ]
        )


def batching_vectors() -> dict[str, Any]:
    """How many ops fit a body, and how batch and page sizes adapt."""
    op = {"op_id": "0190d2a0-0000-7000-8000-000000000001", "report_id": "r", "base_rev": None}
    ops = [
        dict(op, hlc=f"{i:016d}-00000-{NODE}", fields={"narrative": "x" * (i * 37)})
        for i in range(40)
    ]
    fits = []
    for max_bytes in (1024 + 50, 1024 + 400, 4096, 8192, 100_000):
        eng = engine.SyncEngine.__new__(engine.SyncEngine)
        eng.max_bytes = max_bytes
        fits.append({"max_bytes": max_bytes, "fit": len(eng._fit_bytes(ops))})
    grow, b = [], engine.START_BATCH
    for _ in range(12):
        b = min(500, b + max(1, b // 4))
        grow.append(b)
    pull = []
    for start, seconds in ((500, 0.2), (2000, 0.2), (500, 20.0), (50, 20.0), (500, 5.0)):
        eng = engine.SyncEngine.__new__(engine.SyncEngine)
        eng.pull_limit, eng.max_pull = start, max(start, engine.MAX_PULL)
        eng._size_pull_page(seconds)
        pull.append({"limit": start, "seconds": seconds, "next": eng.pull_limit})
    return {
        "ops": ops,
        "op_bytes": [len(orjson.dumps(o)) for o in ops],
        "fit": fits,
        "start_batch": engine.START_BATCH,
        "grow_to_500": grow,
        "halve": [{"size": n, "next": max(1, n // 2)} for n in (1, 2, 3, 100, 499)],
        "pull": pull,
        "pull_bounds": {
            "fast_s": engine.PULL_FAST_S,
            "slow_s": engine.PULL_SLOW_S,
            "min": engine.MIN_PULL,
            "max": engine.MAX_PULL,
        },
    }


def build() -> dict[str, Any]:
    """Every vector, as the Python code computes them today."""
    return {
        "hlc": hlc_vectors(),
        "units": units_vectors(),
        "outbox": outbox_vectors(),
        "batching": batching_vectors(),
        "acknowledged": acknowledged_vectors(),
    }


def render() -> str:
    """The vectors file's exact text."""
    return json.dumps(build(), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    VECTORS.write_text(render(), encoding="utf-8")
    print(f"wrote {VECTORS}")
