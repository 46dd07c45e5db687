"""Matching one new report's persons against a million stored persons (issue 15).

Persons are generated straight into the tables (``reports``,
``person_entries``, ``person_name_keys``), four per report, from pools of
Indonesian given and family names; then new reports, some of whose persons
are spelling variants of stored ones, are saved through the real write path
(``server.report_store.save``, which indexes, matches and raises alerts)
in a transaction that is rolled back, so every sample meets the same
million.  Reported: median and 95th percentile of the matching alone and of
the whole save.

    .venv/bin/python -m bench.person_matching [--persons 1000000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from server import create_app
from server.detection import index
from server.detection.entries import entry_rows, key_rows
from server.infra.bulk import bulk_write
from server.infra.db import db, upgrade_schema
from server.infra.models import Post, Report
from server.reports import store

GIVEN = (
    "siti nur dewi sri rina ayu putri wulan indah fitri lestari ani yuni eka tri dwi rizki "
    "muhammad ahmad agus budi joko andi hendra rudi dedi eko bambang hadi arif fajar yusuf "
    "ilham rahmat bayu dimas fikri galih hasan iwan kurnia lukman maman nanang oki reza "
    "samsul taufik umar wahyu yoga zainal anisa bunga citra diana erna farida gita hana "
    "intan jihan kartika lina maya nadia oktavia puspita ratna sari tika umi vina widya "
    "yanti zahra aminah fatimah halimah khadijah maryam nurul aisyah salmah rohani"
).split()
FAMILY = (
    "aminah haliza lestari susilo santoso wijaya saputra pratama hidayat nugroho kurniawan "
    "setiawan gunawan hakim siregar nasution harahap lubis sinaga simanjuntak tambunan "
    "pangaribuan hutapea manurung situmorang sitompul sembiring ginting tarigan purba "
    "damanik saragih rangkuti daulay batubara pohan hasibuan ritonga dalimunthe matondang "
    "abdullah usman hamid rahman salim yunus ismail ibrahim idris harun ramli zakaria"
).split()
SYLLABLES = "ra ni ta su wa ti ma da ya ha sa lu ki no de bu ri an to mi".split()


def _word(rng: random.Random) -> str:
    """A made-up name word of two or three syllables (8,400 of them)."""
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3, 3))))


ROLES = ("victim", "victim", "victim", "suspect", "witness", "applicant")
POSTS = ("NNK", "DUM", "PLM", "BTM")
START = datetime(2022, 1, 1, tzinfo=UTC)


def _person(rng: random.Random, narrow: bool) -> dict[str, Any]:
    # Common given names (Siti, Muhammad, ...) stay common; family names are
    # drawn from the made-up words unless ``narrow`` asks for the short pools
    # (4,000 name pairs for a million persons: the worst case for blocking).
    family = rng.choice(FAMILY) if narrow or rng.random() < 0.2 else _word(rng)
    words = [rng.choice(GIVEN), family]
    if rng.random() < 0.3:
        words.insert(1, rng.choice(GIVEN) if narrow else _word(rng))
    person: dict[str, Any] = {
        "role": rng.choice(ROLES),
        "sex": rng.choice("FM"),
        "age": rng.randint(14, 60),
        "name": " ".join(w.capitalize() for w in words),
    }
    if rng.random() < 0.6:
        person["document"] = {"type": "passport", "number": f"C{rng.randrange(10**7):07d}"}
    return person


def _doc(rng: random.Random, persons: int, narrow: bool = False) -> dict[str, Any]:
    when = START + timedelta(minutes=rng.randrange(5 * 365 * 24 * 60))
    return {
        "kind": "incident",
        "occurred_at": when.isoformat(),
        "persons": {f"p{i}": _person(rng, narrow) for i in range(persons)},
    }


def _report_row(report_id: str, post: str, seq: int, now: datetime) -> dict[str, Any]:
    return {
        "id": report_id, "post_code": post, "kind": "incident", "rev": 1, "seq": seq,
        "doc": "{}\n", "meta": "[[],{}]", "author": "bench", "device_id": None,
        "created_at": now, "updated_at": now, "review_status": "submitted",
        "retracted": False, "open_conflicts": 0, "persons": 4, "victims": 0,
        "victims_minor": 0, "victims_female": 0, "suspects": 0, "witnesses": 0,
        "foreign_nationals": 0, "applicants": 0,
    }  # fmt: skip


def fill(
    app: Any, persons: int, rng: random.Random, narrow: bool, chunk: int = 20_000
) -> list[dict[str, Any]]:
    """Generate ``persons`` persons, four per report, straight into the tables.

    Returns a few hundred of them, to be met again by the samples.
    """
    kept: list[dict[str, Any]] = []
    now = datetime.now(UTC)
    with app.app_context():
        for code in POSTS:
            db.session.add(Post(code=code, name=code, tz="Asia/Jakarta", created_at=now))
        db.session.commit()
        seq = 0
        with db.engine.begin() as conn:
            for _ in range(0, persons, chunk):
                reports, entries = [], []
                for _ in range(chunk // 4):
                    seq += 1
                    report_id, post = str(uuid.uuid4()), rng.choice(POSTS)
                    reports.append(_report_row(report_id, post, seq, now))
                    doc = _doc(rng, 4, narrow)
                    entries += entry_rows(report_id, post, doc)
                    if seq % 500 == 0:
                        kept.append(doc["persons"]["p1"])
                bulk_write(conn, Report.__table__, reports)
                bulk_write(conn, index.entries_t, entries)
                bulk_write(conn, index.keys_t, [k for e in entries for k in key_rows(e)])
            conn.execute(text("UPDATE counters SET value = :v WHERE name = 'seq'"), {"v": seq})
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
    return kept


def _variant(rng: random.Random, stored: dict[str, Any]) -> dict[str, Any]:
    """A stored person written again: a typo, the document left out."""
    person = dict(stored)
    name = person["name"]
    i = rng.randrange(1, len(name) - 1)
    person["name"] = name[:i] + name[i + 1 :] if name[i] != " " else name
    person.pop("document", None)
    return person


def sample(
    app: Any, rng: random.Random, samples: int, stored: list[dict[str, Any]]
) -> dict[str, list[float]]:
    """Time matching and the whole save of ``samples`` new reports (each rolled back)."""
    timings: dict[str, list[float]] = {"match_ms": [], "save_ms": [], "links": []}
    with app.app_context():
        for _ in range(samples):
            doc = _doc(rng, 4)
            doc["persons"]["p0"] = _variant(rng, rng.choice(stored))
            state = store.ReportState.new(str(uuid.uuid4()), rng.choice(POSTS), "bench", None,
                                          datetime.now(UTC))  # fmt: skip
            state.device_doc, state.row["rev"], state.dirty = doc, 1, True
            with db.engine.connect() as conn, conn.begin() as tx:
                entries = entry_rows(state.id, state.post, doc)
                t0 = time.perf_counter()
                links = index.match_entries(conn, entries)
                timings["match_ms"].append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                store.save(conn, [state], datetime.now(UTC))
                timings["save_ms"].append((time.perf_counter() - t0) * 1000)
                timings["links"].append(len(links) / 2)
                tx.rollback()
    return timings


def batch_cost(app: Any, rng: random.Random, batches: int) -> dict[str, float]:
    """Median ms to save a push-sized batch (500 new reports, 4 persons each), rolled back,
    with the person index kept and with it switched off: what matching adds to a push."""
    timings: dict[str, list[float]] = {"with_matching_ms": [], "without_matching_ms": []}
    refresh = index.refresh
    with app.app_context():
        for i in range(batches * 2):
            kept = i % 2 == 0
            states = []
            for _ in range(500):
                state = store.ReportState.new(str(uuid.uuid4()), rng.choice(POSTS), "bench", None,
                                              datetime.now(UTC))  # fmt: skip
                state.device_doc, state.row["rev"], state.dirty = _doc(rng, 4), 1, True
                states.append(state)
            index.refresh = refresh if kept else (lambda *_a, **_k: None)
            try:
                with db.engine.connect() as conn, conn.begin() as tx:
                    t0 = time.perf_counter()
                    store.save(conn, states, datetime.now(UTC))
                    elapsed = (time.perf_counter() - t0) * 1000
                    tx.rollback()
            finally:
                index.refresh = refresh
            timings["with_matching_ms" if kept else "without_matching_ms"].append(elapsed)
    return {name: round(statistics.median(values), 1) for name, values in timings.items()}


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median": round(statistics.median(ordered), 2),
        "p95": round(ordered[int(len(ordered) * 0.95) - 1], 2),
        "max": round(ordered[-1], 2),
    }


def run(
    persons: int, samples: int, url: str | None, narrow: bool = False, batches: int = 5
) -> dict[str, Any]:
    """Fill a database (SQLite in a temporary directory, or ``url``) and time the samples."""
    rng = random.Random(15)
    with tempfile.TemporaryDirectory() as tmp:
        url = url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PATROLI_SCHEDULER": False})
        upgrade_schema(app)
        t0 = time.perf_counter()
        stored = fill(app, persons, rng, narrow)
        fill_s = time.perf_counter() - t0
        timings = sample(app, rng, samples, stored)
        batch = batch_cost(app, rng, batches)
        with app.app_context():
            backend = db.engine.dialect.name
            db.engine.dispose()
    return {
        "backend": backend,
        "persons": persons,
        "names": "narrow" if narrow else "diverse",
        "samples": samples,
        "fill_s": round(fill_s, 1),
        "match_ms": _summary(timings["match_ms"]),
        "save_ms": _summary(timings["save_ms"]),
        "links_per_report": round(statistics.mean(timings["links"]), 2),
        "push_batch_of_500": batch,
    }


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; prints the figures as JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.person_matching")
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--postgres", help="an empty PostgreSQL database URL")
    parser.add_argument("--narrow", action="store_true", help="short name pools (worst case)")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.persons, args.samples, args.postgres, args.narrow), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
