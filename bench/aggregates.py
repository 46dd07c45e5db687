"""Aggregates over many pushed reports, from the maintained counts, and after edits.

Each time is also given as a ratio to inserting the same documents into a
bare SQLite table (one transaction), measured on the same machine.

    .venv/bin/python -m bench.aggregates [REPORTS]
"""

from __future__ import annotations

import json
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.records import report_fields
from server import create_app
from server.aggregates.query import compute, parse_query
from server.infra.db import db, upgrade_schema
from sync.hlc import tick
from tests.world import World

QUERY = {"group_by": "post,week,modus"}


def _raw_insert_s(docs: list[dict[str, Any]], path: Path) -> float:
    """Seconds to insert the same documents into a bare SQLite table."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE r (id TEXT PRIMARY KEY, doc TEXT)")
    t0 = time.perf_counter()
    with conn:
        conn.executemany("INSERT INTO r VALUES (?, ?)", [(d["id"], json.dumps(d)) for d in docs])
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed


def _timed(app: Any, repeat: int = 5) -> float:
    """Best of ``repeat`` timings of the benchmark query."""
    best = float("inf")
    with app.app_context():
        for _ in range(repeat):
            t0 = time.perf_counter()
            compute(parse_query(QUERY))
            best = min(best, time.perf_counter() - t0)
    return best


def run(total: int = 20_000, batch: int = 500) -> dict[str, Any]:
    """Push ``total`` reports, then time the aggregates before and after edits."""
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
        upgrade_schema(app)
        world = World.build(app, app.test_client())
        dev = world.devices["ofc.nnk.1"]
        docs, ids = [], []
        for start in range(0, total, batch):
            changes = []
            for _ in range(min(batch, total - start)):
                fields = report_fields(rng)
                report_id = str(uuid.uuid4())
                ids.append(report_id)
                docs.append({"id": report_id, **fields})
                changes.append(dev.op(report_id, fields))
            dev.push(*changes)
        raw_s = _raw_insert_s(docs, Path(tmp) / "raw.sqlite3")
        live_s = _timed(app)
        for report_id in rng.sample(ids, total // 100):
            dev.push(
                dev.op(
                    report_id,
                    {"occurred_at": "2026-12-01T10:00:00+08:00"},
                    base_rev=1,
                    hlc=str(tick(dev.clock, dev.device_id)),
                )
            )
        dirty_s = _timed(app)
        with app.app_context():
            db.engine.dispose()
    return {
        "reports": total,
        "raw_sqlite_insert_s": round(raw_s, 4),
        "live_s": round(live_s, 4),
        "live_x_raw": round(live_s / raw_s, 2),
        "after_1pct_edits_s": round(dirty_s, 4),
        "after_1pct_edits_x_raw": round(dirty_s / raw_s, 2),
    }


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000), indent=2))
