"""HQ aggregates at national scale: reports loaded straight into a database, every grouping timed.

Reports are written as rows (document, derived columns) without the push
path, so a million load in minutes; whatever the schema does on insert
(the count triggers of migration 0700) runs as it would on a push.  The
same file runs against an older checkout (``PYTHONPATH=<old tree>``) to
measure the answers and times before a change, on the same data.

    .venv/bin/python -m bench.aggregate_counts load URL REPORTS  # fill an empty database
    .venv/bin/python -m bench.aggregate_counts time URL [RUNS]   # p50 per grouping, /dashboard
    .venv/bin/python -m bench.aggregate_counts push REPORTS      # push CPU per report ± triggers

``time`` prints a JSON object: the p50 (and min) wall time and the p50
process CPU time (SQLite runs in the process, so on a shared machine CPU
is the steadier figure) of every grouping, JSON and CSV, and of the HQ
``/dashboard`` page, plus a digest of every answer so two runs (before
and after) can be compared for equality.
"""

from __future__ import annotations

import hashlib
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import func, select, text

from bench.records import report_fields
from server import create_app
from server.infra.db import db, upgrade_schema
from server.infra.models import Post, Report
from server.reports.document import compose, derived_columns, stored_text
from sync import vocab
from tests.web.pages import sign_in
from tests.world import PASSWORD, World

GROUPINGS = [
    "",
    "post",
    "kind",
    "week",
    "month",
    "destination_country",
    "modus",
    "post,week",
    "post,kind,week",
    "post,kind,month",
    "destination_country,modus,week",
    "post,modus",
    "post,week,modus",
]
FILTERED = [
    {"group_by": "post,week", "from": "2025-03-05", "to": "2025-09-17"},
    {"group_by": "modus", "status": "approved,in_review", "from": "2026-01-07"},
]
POSTS = [f"P{i:02d}" for i in range(1, 21)]
DESTINATIONS = ["MY", "SG", "HK", "SA", "TW", None]
STATUSES = (["submitted"] * 4) + (["approved"] * 4) + ["in_review", "needs_info", "rejected"]
KINDS = ["incident"] * 6 + ["patrol"] * 2 + ["foreigner_check", "passport_deferral", "outreach"]
START = date(2025, 1, 1)


def _document(rng: random.Random) -> dict[str, Any]:
    """A realistic report over two years, 20 posts' spread of kinds, places and modus."""
    fields = report_fields(rng)
    day = START + timedelta(days=rng.randrange(730))
    fields["occurred_at"] = f"{day.isoformat()}T{rng.randint(0, 23):02d}:15:00+08:00"
    fields["kind"] = rng.choice(KINDS)
    fields["destination_country"] = rng.choice(DESTINATIONS)
    fields["modus"] = rng.sample(vocab.MODUS, rng.choice([0, 1, 1, 2, 2, 3]))
    return fields


def _row(rng: random.Random, seq: int, now: datetime) -> dict[str, Any]:
    """One ``reports`` row as the push path would store it."""
    doc = _document(rng)
    row = {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "post_code": rng.choice(POSTS),
        "rev": 1,
        "seq": seq,
        "meta": "{}",
        "author": "ofc.bench",
        "device_id": None,
        "created_at": now,
        "updated_at": now,
        "review_status": rng.choice(STATUSES),
        "review_note": None,
        "review_by": None,
        "review_at": None,
        "open_conflicts": 0,
        "status_since": now,
    }
    row.update(derived_columns(doc))
    row["retracted"] = rng.random() < 0.02
    row["doc"] = stored_text(compose(row["id"], doc, row))
    return row


def load(url: str, total: int, batch: int = 5000) -> dict[str, Any]:
    """Fill an empty database with ``total`` reports; seconds and rows per second."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    upgrade_schema(app)
    World.build(app, app.test_client())  # posts NNK/DUM, HQ and its password
    rng = random.Random(13)
    now = datetime(2027, 1, 4, tzinfo=UTC)
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(
                Post.__table__.insert(),
                [{"code": p, "name": p, "tz": "Asia/Jakarta", "created_at": now} for p in POSTS],
            )
        top = db.session.execute(text("SELECT value FROM counters WHERE name = 'seq'")).scalar()
        db.session.remove()
        insert_s = 0.0
        for start in range(0, total, batch):
            rows = [_row(rng, top + start + i + 1, now) for i in range(min(batch, total - start))]
            t0 = time.perf_counter()
            with db.engine.begin() as conn:
                conn.execute(Report.__table__.insert(), rows)
            insert_s += time.perf_counter() - t0
        with db.engine.begin() as conn:
            conn.execute(
                text("UPDATE counters SET value = :v WHERE name = 'seq'"), {"v": top + total}
            )
        db.engine.dispose()
    return {"reports": total, "insert_s": round(insert_s, 1), "per_s": round(total / insert_s)}


def _p50(samples: list[float]) -> dict[str, float]:
    """Median and best of timings, in milliseconds."""
    return {
        "p50_ms": round(statistics.median(samples) * 1000, 1),
        "min_ms": round(min(samples) * 1000, 1),
    }


def _ms(samples: list[float]) -> float:
    """Median of timings in milliseconds."""
    return round(statistics.median(samples) * 1000, 1)


def _digest(body: Any) -> str:
    """A short hash of an answer, to compare two runs' answers."""
    data = body if isinstance(body, bytes) else orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(data).hexdigest()[:16]


def time_queries(url: str, runs: int = 7) -> dict[str, Any]:
    """p50 of every grouping (JSON and CSV) and of /dashboard, with answer digests."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": "hq.1", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.get_json()['token']}"}
    with app.app_context():
        reports = db.session.execute(select(func.count()).select_from(Report)).scalar()
        db.session.remove()
    out: dict[str, Any] = {"reports": reports, "runs": runs, "queries": {}}
    queries = [{"group_by": g} for g in GROUPINGS] + FILTERED
    queries += [{"group_by": g, "format": "csv"} for g in ("post,week", "post,kind,week", "modus")]
    for params in queries:
        samples, cpu, digest = [], [], ""
        for _ in range(runs):
            t0, c0 = time.perf_counter(), time.process_time()
            resp = client.get("/api/v1/aggregates", query_string=params, headers=headers)
            samples.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
            body = resp.get_json()["rows"] if params.get("format") != "csv" else resp.data
            digest = _digest(body)
        name = "&".join(f"{k}={v}" for k, v in params.items())
        out["queries"][name] = {**_p50(samples), "cpu_p50_ms": _ms(cpu), "answer": digest}
    sign_in(client, "hq.1")
    samples, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        resp = client.get("/dashboard")
        samples.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        assert resp.status_code == 200
    out["dashboard"] = {**_p50(samples), "cpu_p50_ms": _ms(cpu)}
    with app.app_context():
        db.engine.dispose()
    return out


def push_cost(total: int, batch: int = 500) -> dict[str, Any]:
    """Process CPU per pushed report, with the count triggers and with them dropped."""
    out = {}
    for label in ("with_triggers", "without_triggers"):
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'push.sqlite3'}"
            app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
            upgrade_schema(app)
            world = World.build(app, app.test_client())
            if label == "without_triggers":
                with app.app_context(), db.engine.begin() as conn:
                    for name in ("insert", "update", "delete"):
                        conn.execute(text(f"DROP TRIGGER IF EXISTS aggregate_counts_{name}"))
            dev = world.devices["ofc.nnk.1"]
            rng = random.Random(5)
            bodies = []
            for _ in range(0, total, batch):
                bodies.append([dev.op(str(uuid.uuid4()), _document(rng)) for _ in range(batch)])
            cpu0 = time.process_time()
            for changes in bodies:
                dev.push(*changes)
            cpu = time.process_time() - cpu0
            pushed = len(bodies) * batch
            out[label] = {"reports": pushed, "cpu_us_per_report": round(cpu / pushed * 1e6, 1)}
            with app.app_context():
                db.engine.dispose()
    out["trigger_us_per_report"] = round(
        out["with_triggers"]["cpu_us_per_report"] - out["without_triggers"]["cpu_us_per_report"], 1
    )
    return out


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "load":
        result = load(args[0], int(args[1]))
    elif command == "time":
        result = time_queries(args[0], int(args[1]) if len(args) > 1 else 7)
    else:
        result = push_cost(int(args[0]))
    print(json.dumps(result, indent=2))
