"""``python -m bench.search_scale``: the commander's queue, text search and GeoJSON at scale.

Loads N realistic reports straight into a scratch database (SQL inserts
with the server's own derived columns, so the indexes and FTS triggers of
the schema are exercised; much faster than pushing them), then times the
queue API, the ``/queue`` page, text searches and the GeoJSON export
in-process (Flask test client: server work only, no network), as the
median of ``--repeat`` runs, wall and CPU time.

    python -m bench.search_scale --reports 1000000 --db /tmp/scale.sqlite3
    python -m bench.search_scale --db /tmp/scale.sqlite3 --measure-only
    python -m bench.search_scale --reports 300000 --postgres URL

It imports whichever ``server`` package comes first on the path, so the
same command measures an older checkout (``PYTHONPATH=/tmp/old``) on a
database loaded by it.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Flask
from werkzeug.security import generate_password_hash

from server import create_app
from server.devices import seed_people
from server.infra.db import db, upgrade_schema
from server.infra.models import Report
from server.reports.document import compose, derived_columns, stored_text

POSTS = [f"P{i:02d}" for i in range(1, 21)]
PASSWORD = "bench password"
STATUSES = ["submitted"] * 3 + ["in_review", "approved", "approved", "approved", "needs_info"]
KINDS = ["incident"] * 6 + ["patrol"] * 3 + ["intelligence"]
ROUTES = [f"Jalur {name}" for name in ("Aji Kuning", "Sebatik", "Tawau", "Dumai", "Entikong")]
MODUS = ["fake_job_offer", "unofficial_crossing", "debt_bondage", "forged_documents"]
_SYLLABLES = (
    "ba be bi bo bu ka ke ki ko ku la li lu ma me mi mo nu pa pe ra ri sa si ta tu ja".split()
)


def _vocabulary(rng: random.Random, size: int = 3000) -> list[str]:
    """Made-up words; drawn Zipf-like, so a few are common and most are rare."""
    words = {"".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(size)}
    return sorted(words)


def _document(rng: random.Random, vocab: list[str], report_id: str) -> dict[str, Any]:
    """A device document: 1-3 persons, ~60 words of narrative, a point, a day in two years."""
    day = date(2025, 1, 1) + timedelta(days=rng.randrange(730))
    narrative = " ".join(vocab[int(rng.paretovariate(1.1)) % len(vocab)] for _ in range(60))
    roles = ["victim", "suspect", "witness"]
    persons = {
        f"p{i}": {"role": rng.choice(roles), "sex": rng.choice("MF"), "age": rng.randint(12, 60)}
        for i in range(rng.randint(1, 3))
    }
    return {
        "id": report_id,
        "kind": rng.choice(KINDS),
        "occurred_at": f"{day.isoformat()}T{rng.randrange(24):02d}:15:00+07:00",
        "title": " ".join(rng.choice(vocab) for _ in range(4)).capitalize(),
        "location": {
            "lat": round(rng.uniform(-8, 5), 5),
            "lon": round(rng.uniform(95, 141), 5),
            "accuracy_m": 15,
            "place": rng.choice(vocab).title(),
        },
        "route": rng.choice(ROUTES),
        "narrative": narrative,
        "modus": rng.sample(MODUS, rng.randint(0, 2)),
        "destination_country": rng.choice(["MY", "SG", "SA", "HK", "TW"]),
        "persons": persons,
    }


def _row(rng: random.Random, vocab: list[str], seq: int, now: datetime) -> dict[str, Any]:
    """One ``reports`` row with the columns this checkout's schema derives."""
    report_id = str(uuid.uuid4())
    doc = _document(rng, vocab, report_id)
    status = rng.choice(STATUSES)
    since = now - timedelta(minutes=rng.randrange(730 * 24 * 60))
    row = {
        "id": report_id,
        "post_code": POSTS[seq % len(POSTS)],
        "rev": 1,
        "seq": seq,
        "meta": "{}",
        "author": "bench",
        "device_id": None,
        "created_at": since,
        "updated_at": since,
        "review_status": status,
        "review_note": None,
        "review_by": None,
        "review_at": None,
        "status_since": since,
        "open_conflicts": 0,
    }
    row.update(derived_columns(doc))
    # Stored as the server stores it: full, server fields included.
    row["doc"] = stored_text(compose(report_id, doc, row))
    return row


def load(app: Flask, count: int, seed: int = 13) -> None:
    """Seed posts and people, then insert ``count`` reports in batches."""
    upgrade_schema(app)
    with app.app_context():
        staff: list[seed_people.Person] = [("hq.1", "hq", None), ("cmd.p01", "commander", "P01")]
        seed_people.seed([(p, p, "Asia/Jakarta") for p in POSTS], staff, _hash())
        rng = random.Random(seed)
        vocab = _vocabulary(rng)
        now = datetime.now(UTC)
        started = time.perf_counter()
        for first in range(1, count + 1, 5000):
            rows = [
                _row(rng, vocab, seq, now) for seq in range(first, min(first + 5000, count + 1))
            ]
            with db.engine.begin() as conn:
                conn.execute(Report.__table__.insert(), rows)
            if first % 100_000 == 1:
                print(f"loaded {first - 1} in {time.perf_counter() - started:.0f} s", flush=True)
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        db.engine.dispose()


def _hash() -> str:
    """The bench people's password hash."""
    return generate_password_hash(PASSWORD)


def _timed(call: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Median wall and CPU milliseconds of ``call`` and its last result."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = call()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return statistics.median(walls), statistics.median(cpus), result


def _signed_in(app: Flask) -> Any:
    """A test client with the commander's page session."""
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    data = {"username": "cmd.p01", "password": PASSWORD, "csrf_token": token.group(1)}
    assert client.post("/sign-in", data=data).status_code == 302
    return client


def _get(client: Any, url: str, headers: dict[str, str] | None = None) -> Callable[[], Any]:
    """A call that GETs ``url`` fully and checks the 200."""

    def call() -> Any:
        resp = client.get(url, headers=headers or {})
        body = resp.get_data()
        assert resp.status_code == 200, (url, body[:300])
        return resp, body

    return call


QUEUE_CASES = [
    ("no filter", ""),
    ("status", "status=submitted"),
    ("kind", "kind=patrol"),
    ("one month", "from=2025-06-01&to=2025-06-30"),
    ("route", "route=sebatik"),
    ("status+kind+month", "status=approved&kind=incident&from=2025-03-01&to=2025-05-31"),
    ("page 50", "page=50"),
    ("q common word", "q={common}"),
    ("q rare word", "q={rare}"),
    ("q two words", "q={common}+{middle}"),
    ("q prefix", "q={prefix}"),
]


def _print(what: str, wall: float, cpu: float, note: str) -> tuple[str, float, float, str]:
    """One row of the Markdown table, printed as soon as it is measured."""
    print(f"| {what} | {wall:.0f} | {cpu:.0f} | {note} |", flush=True)
    return what, wall, cpu, note


def measure(app: Flask, repeat: int) -> list[tuple[str, float, float, str]]:
    """Time every case, printing each; rows of (what, wall ms, cpu ms, note)."""
    vocab = _vocabulary(random.Random(13))
    words = {"common": vocab[1], "middle": vocab[40], "rare": vocab[-5], "prefix": vocab[7][:3]}
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": "hq.1", "password": PASSWORD})
    hq = {"Authorization": f"Bearer {token.get_json()['token']}"}
    token = client.post("/api/v1/auth/token", json={"username": "cmd.p01", "password": PASSWORD})
    cmd = {"Authorization": f"Bearer {token.get_json()['token']}"}
    page = _signed_in(app)
    out = []
    for name, query in QUEUE_CASES:
        query = query.format(**words)
        for who, headers in (("commander", cmd), ("hq", hq)):
            wall, cpu, (resp, _) = _timed(_get(client, f"/api/v1/reports?{query}", headers), repeat)
            out.append(_print(f"API {who}: {name}", wall, cpu, f"total {resp.get_json()['total']}"))
        wall, cpu, _ = _timed(_get(page, f"/queue?{query}"), repeat)
        out.append(_print(f"/queue page commander: {name}", wall, cpu, ""))
    geo = "/api/v1/reports.geojson"
    for name, url, headers in (
        ("GeoJSON commander, whole", geo, cmd),
        ("GeoJSON hq, whole", geo, hq),
        ("GeoJSON hq, limit=1000", f"{geo}?limit=1000", hq),
        ("GeoJSON hq, bbox+month", f"{geo}?bbox=100,-5,120,2&from=2025-06-01&to=2025-06-30", hq),
    ):
        wall, cpu, (resp, body) = _timed(_get(client, url, headers), max(1, repeat // 3))
        features = body.count(b'"type":"Feature"')
        out.append(_print(name, wall, cpu, f"{features} features, {len(body) / 1e6:.0f} MB"))
    return out


def main(argv: list[str] | None = None) -> None:
    """Load and/or measure, print a Markdown table."""
    parser = argparse.ArgumentParser(prog="python -m bench.search_scale")
    parser.add_argument("--reports", type=int, default=300_000)
    parser.add_argument("--db", default="/tmp/patroli-search-scale.sqlite3")
    parser.add_argument("--postgres", help="a PostgreSQL URL instead of --db")
    parser.add_argument("--measure-only", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    url = args.postgres or f"sqlite:///{args.db}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    if not args.measure_only:
        load(app, args.reports)
    print("| what | wall ms (median) | CPU ms | note |\n|---|---:|---:|---|", flush=True)
    # No app context around the requests: each must get its own (and its own g).
    measure(app, args.repeat)


if __name__ == "__main__":
    main()
