"""The queue's text search (FTS5 / PostgreSQL full-text) finds exactly what a scan finds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from flask_migrate import upgrade
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from server import create_app
from server.infra.db import MIGRATIONS_DIR, db
from server.infra.models import Report
from tests.world import World, incident

# Letters of Indonesian/English texts (upper and lower case, a few accented),
# digits, and separators, so that random words share prefixes often.
LETTERS = "abeiknrsuAKRSéÉü09"
SEPARATORS = " .,-'_/:!?\"*\n"
TEXTS = st.text(alphabet=LETTERS + SEPARATORS, max_size=40)
FIELDS = st.fixed_dictionaries({"title": TEXTS, "narrative": TEXTS, "place": TEXTS, "route": TEXTS})
QUERIES = st.lists(st.text(alphabet=LETTERS + " -*\"'", max_size=8), min_size=1, max_size=6)


def scan_words(value: str) -> list[str]:
    """The words of ``value`` by the documented definition (an independent reading)."""
    found, word = [], ""
    for char in value.lower() + " ":
        if char.isalnum():
            word += char
        elif word:
            found, word = [*found, word], ""
    return found


def scan_matches(doc: dict[str, Any], query: str) -> bool:
    """Every query word begins some word of title, route, place or narrative."""
    location = doc.get("location") or {}
    parts = [doc.get("title"), doc.get("route"), location.get("place"), doc.get("narrative")]
    have = [w for part in parts if isinstance(part, str) for w in scan_words(part)]
    return all(any(w.startswith(q) for w in have) for q in scan_words(query))


def _fields(draw: dict[str, str]) -> dict[str, Any]:
    """Report fields carrying the drawn texts."""
    location = {"lat": 4.17, "lon": 117.82, "accuracy_m": 15, "place": draw["place"]}
    return incident(
        title=draw["title"] or "untitled",
        narrative=draw["narrative"],
        route=draw["route"],
        location=location,
    )


def _found(world: World, query: str, who: str = "hq.1") -> set[str]:
    """The ids ``who``'s queue lists for ``query`` (every report fits one page here)."""
    resp = world.client.get(
        "/api/v1/reports", query_string={"q": query, "per_page": 200}, headers=world.token(who)
    )
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["total"] == len(body["reports"])
    return {r["id"] for r in body["reports"]}


def _scanned(world: World, query: str) -> set[str]:
    """The ids whose stored document matches ``query``, found by reading every document."""
    with world.app.app_context():
        rows = db.session.execute(select(Report.id, Report.doc)).all()
    return {rid for rid, doc in rows if scan_matches(orjson.loads(doc), query)}


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    created=st.lists(FIELDS, min_size=1, max_size=5),
    edits=st.lists(FIELDS, max_size=3),
    queries=QUERIES,
)
def test_text_search_equals_a_scan(
    world: World, created: list[dict], edits: list[dict], queries: list[str]
) -> None:
    """Over random documents, edits and queries, the index finds what a scan finds."""
    device = world.devices["ofc.nnk.1"]
    ids = [device.create(_fields(draw))[0] for draw in created]
    for report_id, draw in zip(ids, edits, strict=False):
        device.push(device.op(report_id, _fields(draw), base_rev=device.revs[report_id]))
    for query in [*queries, *(draw["narrative"][:6] for draw in created)]:
        expected = _scanned(world, query)
        # HQ's search is driven by the index, a commander's by the post's rows.
        assert _found(world, query) == expected == _found(world, query, "cmd.nnk"), query


def test_words_prefixes_and_every_term(world: World) -> None:
    """Words match by their beginning, case-folded; all query words must match."""
    device = world.devices["ofc.nnk.1"]
    boat, _ = device.create(incident(title="Perahu motor", narrative="Lima pekerja, tanpa paspor."))
    walk, _ = device.create(incident(title="Jalan kaki", narrative="Paspor palsu; agen Rudi"))
    assert _found(world, "PASPOR") == {boat, walk}
    assert _found(world, "pas rud") == {walk}
    assert _found(world, "pekerja paspor") == {boat}
    assert _found(world, "erja") == set()  # inside a word is not a beginning
    assert _found(world, "--- !!") == {boat, walk}  # no word: no text filter


def test_search_follows_edits_and_deletes(world: World) -> None:
    """An edited text is found by its new words only; a deleted row leaves the index."""
    device = world.devices["ofc.nnk.1"]
    report_id, _ = device.create(incident(narrative="speedboat tanpa nama"))
    device.push(device.op(report_id, {"narrative": "kapal kayu"}, base_rev=1))
    assert _found(world, "speedboat") == set() and _found(world, "kayu") == {report_id}
    with world.app.app_context(), db.engine.begin() as conn:
        # No product path deletes a report yet (the foreign keys cascade): the index
        # must still follow one.
        conn.execute(text("DELETE FROM reports WHERE id = :r"), {"r": report_id})
    assert _found(world, "kayu") == set()


def test_upgrade_to_0800_indexes_existing_reports(tmp_path: Path) -> None:
    """Reports stored before 0800 are found by their words and get their point."""
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite3'}", "SECRET_KEY": "t"}
    )
    doc = {"id": "r1", **incident(title="Kapal Motor", narrative="Berangkat dari Tawau")}
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR, revision="0600")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO posts (code, name, tz, created_at) "
                    "VALUES ('NNK', 'Nunukan', 'Asia/Makassar', '2026-11-21')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO reports (id, post_code, kind, rev, seq, doc, meta, author, "
                    "created_at, updated_at, review_status, retracted, open_conflicts, "
                    "search_text) VALUES ('r1', 'NNK', 'incident', 1, 1, :doc, '{}', 'ofc', "
                    "'2026-11-21', '2026-11-21', 'submitted', 0, 0, 'kapal motor')"
                ),
                {"doc": orjson.dumps(doc).decode()},
            )
        upgrade(directory=MIGRATIONS_DIR, revision="0800")
        with db.engine.connect() as conn:
            found = conn.execute(
                text("SELECT rowid FROM reports_fts WHERE reports_fts MATCH '\"taw\"*'")
            ).all()
            point = conn.execute(text("SELECT lon, lat FROM reports")).one()
        db.engine.dispose()
    assert len(found) == 1 and tuple(point) == (117.82, 4.17)
