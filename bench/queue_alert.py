"""The queue's alert filter at national scale: reports and their alerts loaded straight in.

Reports are the rows of ``bench.search_scale`` (20 posts, evenly spread);
alerts are written beside them as the detector would leave them, in the
shares a national run of ``bench.scale_docs`` persons gives (names of a
first name and a number, so a person meets ~0.3 others at a million):
``seen_before`` on ~15% of reports (common), ``deferred_applicant`` on
~4%, ``repeat_suspect`` on ~1% (rare), and ``vehicle_seen_before`` links
on ~3%.  Matching itself is not run: this measures the reading only.

    .venv/bin/python -m bench.queue_alert load URL REPORTS   # fill an empty database
    .venv/bin/python -m bench.queue_alert time URL [RUNS]    # p50 per alert filter

``time`` prints a JSON object: for each alert filter, the p50 wall and
process CPU time of the commander's ``/queue`` page, the commander's API
and HQ's API, with a digest of every answer (its counts and page of ids)
so a run against an older checkout compares for equality.  It imports
whichever ``server`` package comes first on the path: run it from outside
the worktree with ``PYTHONPATH=<old tree>:<this tree>`` for "before".
"""

from __future__ import annotations

import hashlib
import json
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from bench import search_scale
from server import create_app
from server.detection.models import PersonAlert, VehicleLink
from server.devices import seed_people
from server.infra.bulk import bulk_write
from server.infra.db import db, upgrade_schema
from server.infra.models import Report

#: Share of reports carrying each alert type (see the module's docstring).
SHARES = {
    "seen_before": 0.15,
    "deferred_applicant": 0.04,
    "repeat_suspect": 0.01,
    "vehicle_seen_before": 0.03,
}
CASES = [
    "alert=seen_before",
    "alert=repeat_suspect",
    "alert=vehicle_seen_before",
    "alert=deferred_applicant&alert=repeat_suspect",
    "alert=seen_before&status=submitted",
]
BATCH = 5000


def _alerts(rng: random.Random, row: dict[str, Any], earlier: list[Any]) -> tuple[list, list]:
    """The person alert rows and vehicle link rows of one report."""
    persons, vehicles = [], []
    for kind, share in SHARES.items():
        if not earlier or rng.random() >= share:
            continue
        other_id, other_post = earlier[rng.randrange(len(earlier))]
        when = row["occurred_at"]
        if kind == "vehicle_seen_before":
            vehicles.append(_vehicle_link(row, other_id, other_post))
            continue
        for person in range(rng.choice((1, 1, 1, 2))):
            persons.append(
                {
                    "report_id": row["id"],
                    "person_id": f"p{person}",
                    "type": kind,
                    "other_report_id": other_id,
                    "other_post": other_post,
                    "other_occurred_at": when - timedelta(days=30) if when else None,
                }
            )
    return persons, vehicles


def _vehicle_link(row: dict[str, Any], other_id: str, other_post: str) -> dict[str, Any]:
    """A link of the report's boat to one of an earlier report: the alert itself."""
    when = row["occurred_at"]
    return {
        "report_id": row["id"],
        "vehicle_id": "v0",
        "occurred_at": when,
        "other_report_id": other_id,
        "other_vehicle_id": "v0",
        "other_post": other_post,
        "other_kind": "incident",
        "other_occurred_at": when - timedelta(days=30) if when else None,
        "basis": "registration",
        "score": 100,
        "explanation": "same registration",
    }


def load(url: str, total: int) -> dict[str, Any]:
    """Fill an empty database with ``total`` reports and their alerts; counts and seconds."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    upgrade_schema(app)
    rng = random.Random(15)
    counts = {"reports": total, "person_alerts": 0, "vehicle_links": 0}
    started = time.perf_counter()
    with app.app_context():
        staff: list[seed_people.Person] = [("hq.1", "hq", None), ("cmd.p01", "commander", "P01")]
        posts = [(p, p, "Asia/Jakarta") for p in search_scale.POSTS]
        seed_people.seed(posts, staff, search_scale._hash())
        words = search_scale._vocabulary(rng)
        now = datetime.now(UTC)
        earlier: list[tuple[str, str]] = []
        for first in range(1, total + 1, BATCH):
            rows = [
                search_scale._row(rng, words, seq, now)
                for seq in range(first, min(first + BATCH, total + 1))
            ]
            persons: list[dict[str, Any]] = []
            vehicles: list[dict[str, Any]] = []
            for row in rows:
                found = _alerts(rng, row, earlier)
                persons += found[0]
                vehicles += found[1]
                earlier.append((row["id"], row["post_code"]))
            with db.engine.begin() as conn:
                conn.execute(Report.__table__.insert(), rows)
                bulk_write(conn, PersonAlert.__table__, persons)
                bulk_write(conn, VehicleLink.__table__, vehicles)
            counts["person_alerts"] += len(persons)
            counts["vehicle_links"] += len(vehicles)
            if first % 100_000 == 1:
                print(f"loaded {first - 1} in {time.perf_counter() - started:.0f} s", flush=True)
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        db.engine.dispose()
    counts["seconds"] = round(time.perf_counter() - started)
    return counts


def _digest(body: dict[str, Any]) -> str:
    """A short hash of what a queue answer says: total, counts and the page's ids."""
    said = {"total": body["total"], "counts": body["counts"]}
    said["ids"] = [r["id"] for r in body["reports"]]
    return hashlib.sha256(orjson.dumps(said, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def _timed(call: Any, runs: int) -> dict[str, Any]:
    """p50 wall and CPU milliseconds of ``runs`` calls, with the last call's result."""
    walls, cpus, result = [], [], None
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = call()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return {
        "p50_ms": round(statistics.median(walls) * 1000, 1),
        "cpu_p50_ms": round(statistics.median(cpus) * 1000, 1),
        "result": result,
    }


def time_queries(url: str, runs: int = 7) -> dict[str, Any]:
    """Each alert filter on the commander's page and API, and on HQ's API."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    client = app.test_client()
    tokens = {}
    for who in ("hq.1", "cmd.p01"):
        body = {"username": who, "password": search_scale.PASSWORD}
        token = client.post("/api/v1/auth/token", json=body).get_json()["token"]
        tokens[who] = {"Authorization": f"Bearer {token}"}
    page = search_scale._signed_in(app)
    out: dict[str, Any] = {"runs": runs, "cases": {}}
    for query in CASES:
        case: dict[str, Any] = {}
        for who, headers in tokens.items():
            timed = _timed(search_scale._get(client, f"/api/v1/reports?{query}", headers), runs)
            resp, _ = timed.pop("result")
            timed["answer"] = f"{_digest(resp.get_json())} total {resp.get_json()['total']}"
            case[f"api {who}"] = timed
        timed = _timed(search_scale._get(page, f"/queue?{query}"), runs)
        timed["bytes"] = len(timed.pop("result")[1])
        case["/queue cmd.p01"] = timed
        out["cases"][query] = case
        print(query, json.dumps(case), file=sys.stderr, flush=True)
    with app.app_context():
        db.engine.dispose()
    return out


def main(argv: list[str]) -> None:
    """``load URL REPORTS`` or ``time URL [RUNS]``; prints JSON."""
    if len(argv) >= 3 and argv[0] == "load":
        print(json.dumps(load(argv[1], int(argv[2]))))
    elif len(argv) >= 2 and argv[0] == "time":
        print(json.dumps(time_queries(argv[1], int(argv[2]) if len(argv) > 2 else 7), indent=1))
    else:
        sys.exit("usage: python -m bench.queue_alert load URL REPORTS | time URL [RUNS]")


if __name__ == "__main__":
    main(sys.argv[1:])
